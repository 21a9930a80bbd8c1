"""Roll-out organisation of a major information system: the work-group roster (TP-WG-1/2)
and the nomination and change report of system administrators and seed users (TP-ADM-1,
TP-SEED-1/2), filed with the IT department. Registries and the compliance dashboard come
with their issue."""
