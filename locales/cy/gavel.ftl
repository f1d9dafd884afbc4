# Catalog Cymraeg Gavel. Rhaid i bob allwedd yma fod yn locales/en/gavel.ftl hefyd.
# Gavel's Welsh catalogue: the same keys as locales/en/gavel.ftl.

## Cofnodion / Entries (src/render.rs)

meeting-started = Cyfarfod wedi dechrau: { $title }
