# Gavel's English catalogue. Every key here must also be in locales/cy/gavel.ftl
# (the test `english_and_welsh_have_the_same_keys` fails otherwise).
# Keep sections grouped by the module that uses them.

## Entries (src/render.rs)

meeting-started = Meeting started: { $title }

## Consultation reminders (src/reminders.rs, src/receipts.rs)

consult-reminder = Consultation closes { $days ->
        [0] today
        [1] tomorrow
       *[other] in { $days } days
    }: { $title } — { $url } (closes { $closes })
consult-closed = Consultation now closed: { $title }
consult-date = { $weekday ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    } { $day } { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } { $year }
notice-refused = { $target } refused the notice { $key } ({ $error }); other messages continue.
consult-extend-not-later = Consultation C{ $number } already closes { $closes }; an extension needs a later date.
consult-change-in-private = The public is excluded, so a change to a consultation would not be published; make it after `!public`.
