"""Roll-out organisation of major information systems (TP-WG-1..4, TP-ADM-1, TP-SEED-1..3,
TP-SUP-1): the registry of agencies, people and systems, rosters filed as cases, unfit
persons replaced, meetings, the compliance dashboard and three-tier support. The README's
chapter "Roll-out organisation" says who does what."""
