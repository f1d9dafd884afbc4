# Gavel's English catalogue. Every key here must also be in locales/cy/gavel.ftl
# (the test `english_and_welsh_have_the_same_keys` fails otherwise).
# Keep sections grouped by the module that uses them.

## Entries (src/render.rs)

meeting-started = Meeting started: { $title }
