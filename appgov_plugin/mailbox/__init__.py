"""The mayor-mailbox link (TN-EVAL-4, TN-MAIL-1, MAIL-2): citizens' feedback from every app
reaches the city's mailbox over Open311 GeoReport v2, and nothing is lost.

Intake (``open311.py``): an Open311 endpoint under ``APPGOV_OPEN311_PREFIX``; each item is
stored with its outbox row in one transaction. Forwarder (``forwarder.py``, ``flask appgov
mailbox forward``): delivers due items through the mailbox adapter (``hookspecs.py``; the
default speaks Open311 to the city's mailbox) with back-off and an idempotency key; ``flask
appgov mailbox sync`` brings the mailbox's number, status and reply back. Store reviews and
ratings are imported beside the feedback (``reviews.py``).
"""
