# Gavel's English catalogue. Every key here must also be in locales/cy/gavel.ftl
# (the test `english_and_welsh_have_the_same_keys` fails otherwise).
# Keep sections grouped by the module that uses them.

## Entries (src/render.rs)

meeting-started = Meeting started: { $title }

## Pinned status (src/status.rs)

status-now = Now: { $title }
status-item = Item { $number }: { $title }
status-last-vote = Latest: { $vote }
status-recess = In recess
status-private = Private session: the public is excluded and nothing is being published
status-follow = Follow live: { $url }
status-ended = Meeting ended: { $title }
status-transcript = Transcript: { $url }
