# Catalog Cymraeg Gavel. Rhaid i bob allwedd yma fod yn locales/en/gavel.ftl hefyd.
# Gavel's Welsh catalogue: the same keys as locales/en/gavel.ftl.

## Cofnodion / Entries (src/render.rs)

meeting-started = Cyfarfod wedi dechrau: { $title }

## Statws wedi'i binio / Pinned status (src/status.rs)

status-now = Nawr: { $title }
status-item = Eitem { $number }: { $title }
status-last-vote = Diweddaraf: { $vote }
status-recess = Ar egwyl
status-private = Sesiwn breifat: mae'r cyhoedd wedi'u cau allan ac nid oes dim yn cael ei gyhoeddi
status-follow = Dilynwch yn fyw: { $url }
status-ended = Daeth y cyfarfod i ben: { $title }
status-transcript = Trawsgrifiad: { $url }
