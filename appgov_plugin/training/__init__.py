"""Training records: enrolment (TP-TRN-1) and leave requests (TP-TRN-2), filed with the IT
department. Attendance, dismissal, retakes and learning hours come with their issue."""
