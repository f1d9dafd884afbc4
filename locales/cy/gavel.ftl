# Catalog Cymraeg Gavel. Rhaid i bob allwedd yma fod yn locales/en/gavel.ftl hefyd.
# Gavel's Welsh catalogue: the same keys as locales/en/gavel.ftl.

## Cofnodion / Entries (src/render.rs)

meeting-started = Cyfarfod wedi dechrau: { $title }

## Nodiadau atgoffa ymgynghoriadau / Consultation reminders (src/reminders.rs, src/receipts.rs)

consult-reminder = Mae'r ymgynghoriad yn cau { $days ->
        [0] heddiw
        [1] yfory
       *[other] ymhen { $days } diwrnod
    }: { $title } — { $url } (yn cau { $closes })
consult-closed = Mae'r ymgynghoriad bellach wedi cau: { $title }
consult-date = { $weekday ->
        [1] dydd Llun
        [2] dydd Mawrth
        [3] dydd Mercher
        [4] dydd Iau
        [5] dydd Gwener
        [6] dydd Sadwrn
       *[7] dydd Sul
    } { $day } { $month ->
        [1] Ionawr
        [2] Chwefror
        [3] Mawrth
        [4] Ebrill
        [5] Mai
        [6] Mehefin
        [7] Gorffennaf
        [8] Awst
        [9] Medi
        [10] Hydref
        [11] Tachwedd
       *[12] Rhagfyr
    } { $year }
notice-refused = Gwrthododd { $target } yr hysbysiad { $key } ({ $error }); mae negeseuon eraill yn parhau.
consult-extend-not-later = Mae ymgynghoriad C{ $number } eisoes yn cau { $closes }; mae angen dyddiad hwyrach ar estyniad.
consult-change-in-private = Mae'r cyhoedd wedi'u cau allan, felly ni fyddai newid i ymgynghoriad yn cael ei gyhoeddi; gwnewch y newid ar ôl `!public`.
