# Gavel's English catalogue. Every key here must also be in locales/cy/gavel.ftl
# (the test `english_and_welsh_have_the_same_keys` fails otherwise).
# Keep sections grouped by the module that uses them.

## Entries (src/render.rs)

meeting-started = Meeting started: { $title }
meeting-closed = Meeting closed
agenda-item = Item { $number }: { $title }
motion = Motion: { $text }
motion-moved-seconded = (moved by { $mover }, seconded by { $seconder })
motion-moved = (moved by { $mover })
motion-seconded = (seconded by { $seconder })
vote-counted = Vote: { $outcome ->
        [carried] carried
       *[lost] lost
    } — { $ayes } for, { $noes } against, { $abstain } { $abstain ->
        [one] abstention
       *[other] abstentions
    }
vote-show-of-hands = Vote: { $outcome ->
        [carried] carried
       *[lost] lost
    } (show of hands)
vote-casting = , on the casting vote of the { $who }
vote-roll = . For: { $ayes }. Against: { $noes }. Abstained: { $abstain }.
vote-roll-none = none
consultation = Consultation: { $title } — { $url } (closes { $closes })
consultation-extended = Consultation extended: { $title } now closes { $closes }
consultation-withdrawn = Consultation withdrawn: { $title }
link = Link: { $title } — { $url }
speaker = Speaking: { $name }
recess-for = Adjourned for { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    } at { $time }
recess = Adjourned at { $time }
resumed = Meeting resumed at { $time }
private = Public excluded at { $time }
private-reason = Public excluded at { $time } — { $reason }
public = Public readmitted at { $time }
webcast = Webcast started: { $url }
correction = Correction to { $entry }: { $text }
withdrawal = Entry { $entry } withdrawn
withdrawal-reason = Entry { $entry } withdrawn — { $reason }
# After the text of a message edited by a correction.
post-corrected = (corrected { $time })

## Dates (src/render.rs)

# 31 January 2027
date-long = { $day } { $month } { $year }
# Wednesday 31 January 2027
date-weekday-long = { $weekday } { $date }
month-name = { $n ->
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
    }
# $n: 1 = Monday … 7 = Sunday
weekday-name = { $n ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    }

## Clerk replies (src/desk.rs)

ack-recorded = { $entry } recorded
ack-recorded-delivering = { $entry } recorded, delivering to { $deliveries }
ack-recorded-private = { $entry } recorded (private session: archived, not published)
ack-already-recorded = { $entry } was already recorded
ack-exempt-item = Item { $number } is marked exempt on the council's agenda. If the meeting resolves to exclude the public, type `!private <reason>` (for example `!private exempt information, paragraph 3`); Gavel excludes nothing by itself.
not-recorded = Not recorded
refuse-still-open = “{ $title }” is still open. Close it with `!end` before starting another meeting.
refuse-nothing-scheduled = There is no scheduled meeting to start. Give a title: `!start <title>`, or preload one with `gavel schedule agenda.toml`.
refuse-no-meeting = No meeting is open. Start one with `!start <title>` (or `!start` for the next scheduled meeting).
refuse-not-on-roster = { $name } is not on the council's roster. Nothing was recorded; name councillors as the roster does (a surname alone is enough when only one councillor has it).
refuse-not-on-roster-did-you-mean = { $name } is not on the council's roster; did you mean { $suggestions }? Nothing was recorded.
refuse-in-recess = The meeting is in recess. Use `!resume` first.
refuse-already-in-recess = The meeting is already in recess. Use `!resume` to continue.
refuse-not-in-recess = The meeting is not in recess, so there is nothing to resume.
refuse-already-private = The public is already excluded. Use `!public` to readmit them.
refuse-already-public = The meeting is already public; `!public` follows `!private`.
refuse-no-preloaded-agenda = This meeting has no preloaded agenda. Use `!agenda <number> <title>`.
refuse-agenda-finished = That was the last item on the preloaded agenda. Use `!agenda <number> <title>` for anything else.
refuse-records-nothing = That command records nothing.
refuse-nothing-to-undo = You have no entry in this meeting to undo.
refuse-undo-withdrawn = Your last entry { $entry } is already withdrawn.
refuse-undo-kind = Your last entry { $entry } ({ $kind }) cannot be withdrawn; `!undo` withdraws notes, items, motions, votes, links and consultations.
refuse-no-such-entry = There is no entry { $entry } in this meeting (meeting { $meeting } has entries #1 to #{ $last }).
refuse-entry-withdrawn = Entry { $entry } has been withdrawn already.
refuse-entry-kind = Entry { $entry } is a { $kind } entry, which cannot be corrected or withdrawn; only notes, items, motions, votes, links, speakers, webcasts and consultations can.
refuse-consultation-withdrawn = Consultation C{ $number } was withdrawn.
refuse-consultation-closed = Consultation C{ $number } closed on { $closes }.
refuse-no-such-consultation = There is no consultation C{ $number }; `!consultations` lists them.
refuse-archive-error = the archive could not record this ({ $error }). Nothing was recorded; try again.
consultations-none-open = No consultations are open.
consultations-open-heading = Open consultations:
consultations-open-line = C{ $number } { $title } — { $url } (closes { $closes })
status-no-meeting = No meeting is open.
# $state: open, recess, private or recess-private
status-meeting = Meeting { $meeting } “{ $title }” is open{ $state ->
        [recess] , in recess
        [private] , public excluded (nothing is being published)
        [recess-private] , in recess, public excluded (nothing is being published)
       *[open] {""}
    }.
status-current-item = Current item: { $number } { $title }.
status-entries = Entries: { $count }.
status-no-targets = No delivery targets are configured.
status-target-failing = { $target }: FAILING ({ $error }); { $queued } queued, nothing lost.
status-target-queued = { $target }: ok, { $queued } queued.
status-target-ok = { $target }: ok, up to date.
help-commands = Commands: { $commands }.
help-more = !help <command> for one in detail.
help-no-such-command = There is no command `{ $command }`.
help-list-all = !help lists them all.
agenda-heading = Agenda of “{ $title }”:
agenda-current-item = Current item: { $number } { $title }
agenda-no-items = No agenda items yet.
now-no-meeting = No meeting is running.
now-meeting = Now: “{ $title }”
now-item = , item { $number }: { $title }
now-in-recess = (in recess)
now-private = (public excluded)
now-last-vote = . Last vote: { $vote }

## Command help and refusals (src/command.rs)

# What each command does (`!help <command>`).
verb-about = { $verb ->
        [start] open a meeting
        [end] close the meeting
        [agenda] a new agenda item (!agenda alone shows the agenda)
        [next] advance to the next preloaded agenda item
        [motion] a motion on the current item
        [vote] a vote result
        [consult] a public consultation
        [consultations] list open consultations
        [link] a link to papers, webcast or documents
        [note] commentary
        [speaker] who has the floor
        [recess] adjourn for a while
        [resume] resume after a recess
        [private] exclude the public: nothing is published until !public
        [public] readmit the public
        [webcast] mark the webcast start (exports give offsets and chapters)
        [fix] correct an entry everywhere
        [strike] withdraw an entry everywhere
        [undo] withdraw your own last entry
        [status] meeting state and delivery health
        [help] usage
       *[now] what is happening now
    }
# How each command is written. Command words and option keys stay English.
verb-usage = { $verb ->
        [start] !start <title> (or !start alone for the next scheduled meeting)
        [end] !end
        [agenda] !agenda <number> <title>, e.g. !agenda 5 Planning application
        [next] !next
        [motion] !motion <text> | mover=<name> | seconder=<name>
        [vote] !vote <for>-<against>-<abstain> carried|lost [| casting=chair] [| for=A, B | against=C | abstain=D], or !vote carried|lost
        [consult] !consult <url> <title> | closes=YYYY-MM-DD, !consult extend <n> YYYY-MM-DD, !consult withdraw <n>
        [consultations] !consultations
        [link] !link <url> <title>
        [note] !note <text>
        [speaker] !speaker <name>
        [recess] !recess [minutes]
        [resume] !resume
        [private] !private [reason]
        [public] !public
        [webcast] !webcast <url>
        [fix] !fix <entry> <new text>, e.g. !fix 12 Cllr Smith seconded
        [strike] !strike <entry> [reason]
        [undo] !undo
        [status] !status
        [help] !help [command]
       *[now] !now
    }
parse-expected = Expected: { $usage }
parse-help-list = !help for the list of commands
parse-line-too-long = The line is { $chars } characters long; the limit is { $limit }. Split it into several commands.
parse-bidi-control = The line contains an invisible bidirectional control character ({ $code }), which can disguise text. Retype it without that character.
parse-control-char = The line contains a control character ({ $code }). Retype it without that character.
parse-no-command = `{ $prefix }` needs a command after it.
parse-unknown-command-suggest = Unknown command `{ $command }`. Did you mean `{ $suggestion }`?
parse-unknown-command = Unknown command `{ $command }`.
parse-takes-nothing = `!{ $verb }` takes nothing after it.
parse-needs-text = `!{ $verb }` needs { $what ->
        [name] name
       *[text] text
    }.
parse-not-an-option = `| { $segment }` is not a `key=value` option; `!{ $verb }` accepts { $keys }.
parse-unknown-option = `!{ $verb }` has no option `{ $key }`; it accepts { $keys }.
parse-option-twice = Option `{ $key }` is given twice.
parse-agenda-number = `{ $number }` is not an agenda item number (like 5, 5a or 7.2).
parse-agenda-title = Agenda item { $number } needs a title.
parse-motion-text = `!motion` needs the motion's text.
parse-option-needs-name = `{ $key }=` needs a name.
parse-count-not-number = The { $what } count `{ $count }` is not a whole number of zero or more.
parse-count-too-large = The { $what } count `{ $count }` is too large.
parse-empty-name = `{ $option }=` has an empty name; separate names with commas.
parse-vote-needs-result = `!vote` needs a result: carried or lost.
parse-not-a-result = `{ $result }` is not a vote result.
parse-vote-result-after-counts = The vote needs a result after the counts: carried or lost.
parse-not-a-result-use = `{ $result }` is not a vote result; use carried or lost.
parse-not-a-tally = `{ $tally }` is not a tally; write for-against-abstain, like 32-10-3.
parse-casting-needs-who = `casting=` needs who gave the casting vote, e.g. casting=chair.
parse-named-twice = { $name } is named more than once in the recorded vote.
parse-names-mismatch = The names do not match the counts: { $counted } counted but { $named } named. A recorded vote's names must match its counts exactly.
parse-carried-needs-majority = A motion carried needs more votes for than against ({ $ayes } for, { $noes } against). If the chair gave a casting vote, add `| casting=chair`.
parse-casting-needs-tie = A casting vote is only given on a tie, but the vote was { $ayes } for and { $noes } against.
parse-no-votes = A vote with no votes at all cannot be recorded.
parse-not-a-url = `{ $url }` is not a web address; give a full http:// or https:// link.
parse-url-scheme = Only http:// and https:// links are allowed, not `{ $scheme }:`.
parse-url-no-host = `{ $url }` has no host.
parse-url-credentials = Links must not contain a user name or password.
parse-needs-link = `!{ $verb }` needs a link.
parse-needs-link-title = `!{ $verb }` needs a title after the link.
parse-not-a-date = `{ $date }` is not a real date; write YYYY-MM-DD, like 2027-01-31.
parse-date-past = The closing date { $date } is in the past.
parse-consult-extend = `!consult extend` needs a consultation number and a new closing date.
parse-consult-withdraw = `!consult withdraw` needs a consultation number.
parse-consult-closes = A consultation needs its closing date: add `| closes=YYYY-MM-DD`.
parse-consult-number = `{ $number }` is not a consultation number (see !consultations).
parse-webcast-link = `!webcast` needs the webcast's link.
parse-webcast-one-link = `!webcast` takes just one link.
parse-recess-minutes = `{ $minutes }` is not a number of minutes (1 to 1440).
parse-needs-entry = `!{ $verb }` needs an entry number.
parse-not-an-entry = `{ $entry }` is not an entry number (like 12 or #12).
parse-fix-text = `!fix { $entry }` needs the corrected text.

## Receipts and delivery notices (src/receipts.rs)

receipt-delivered = { $entry } delivered { $done }/{ $total }
receipt-refused = { $entry } delivered { $done }/{ $total }; refused by { $targets } (see !status)
notice-target-failing = Delivery to { $target } is failing ({ $error }). { $queued } queued; nothing is lost and they will go out in order when it recovers.
notice-target-recovered = { $queued ->
        [0] Delivery to { $target } has recovered; it is up to date.
       *[other] Delivery to { $target } has recovered; sending the { $queued } queued in order.
    }
notice-entry-refused = { $target } refused { $entry } ({ $error }); the other entries continue.

## Clerk inputs (src/console.rs, src/web/api.rs, src/platform/*/input.rs)

input-not-a-command = Not a command: commands start with `{ $prefix }` (try { $prefix }help).
input-not-a-command-short = Not a command: try { $prefix }help
input-not-a-command-api = not a command: commands start with `{ $prefix }`, e.g. `{ $prefix }note The meeting is quorate`
input-not-utf8 = Not recorded: the line is not valid UTF-8 text. Retype it.

## Web page chrome (src/web/)

web-skip-link = Skip to main content
web-nav-label = Site
web-nav-meetings = Meetings
web-nav-search = Search
web-nav-feed = Atom feed
web-nav-calendar = Calendar (ICS)
web-footer = Live commentary from meetings of { $council }. Times are local. Transcripts are archived with a tamper-evident hash chain.
web-feed-title = { $council }: live meeting updates
web-date-to-be-announced = date to be announced
# $when: a date, or a date and time, already formatted
web-date-time = { $date }, { $time }
web-status-live = Live now
web-status-ended = Ended
web-status-scheduled = Scheduled
web-entry-count = { $count } { $count ->
        [one] entry
       *[other] entries
    }
web-index-heading = { $council }: council meetings
web-now-sitting = Now sitting
web-none-sitting = No meeting is sitting right now.
web-coming-up = Coming up
web-recent = Recent meetings
web-none-held = No meetings have been held yet.
web-open-consultations = Open consultations
web-no-open-consultations = There are no open consultations.
# $link and $closes are HTML; $meeting and $entry are numbers.
web-consultation-item = { $link } — closes { $closes } (announced in <a href="{ $href }">meeting { $meeting }, entry #{ $entry }</a>)
web-downloads = Downloads
web-download-heading = Download the transcript
web-transcript = Transcript
web-meeting-live = This meeting is live.
web-meeting-not-started = This meeting has not started yet.
web-live-reload = Reload the page for new entries, or turn on JavaScript for automatic updates.
web-nothing-yet = Nothing has been recorded yet.
web-new-entries = New entries
web-now-heading = Now
web-now-no-item = No agenda item has been taken up yet.
web-search-heading = Search transcripts
web-search-label = Words to find
web-search-button = Search
web-search-results = { $count } { $count ->
        [one] result
       *[other] results
    } for “{ $query }”
web-search-none = No entries matched. Try fewer or different words.
web-search-hit = { $title }, entry #{ $entry }
web-search-title = Search
web-search-title-query = Search: { $query }
web-permalink = Permalink to entry { $entry }
web-badge-corrected = Corrected
web-badge-withdrawn = Withdrawn
web-about-entry = about entry #{ $entry }
# $at and $previous are HTML times; $text is the earlier, struck text (HTML).
web-corrected-at = Corrected at { $at } (entry #{ $entry }). Previously, at { $previous }: { $text }
web-no-reason = no reason given
web-withdrawn = Withdrawn: { $reason } (at { $at }, entry #{ $entry })
web-live-summary = New entry #{ $entry } at { $time }, { $kind }: { $text }
web-feed-withdrawn-tag = [Withdrawn]
web-feed-corrected-tag = [Corrected]
web-feed-withdrawn = Withdrawn at { $time }: { $reason }. The entry read: { $text }
web-feed-corrected = { $text } (corrected at { $time }; originally: { $original })
web-kind = { $kind ->
        [start] Meeting started
        [end] Meeting closed
        [agenda] Agenda item
        [motion] Motion
        [vote] Vote
        [consult] Consultation
        [consult_extend] Consultation extended
        [consult_withdraw] Consultation withdrawn
        [link] Link
        [note] Note
        [speaker] Speaker
        [recess] Adjournment
        [resume] Resumed
        [private] Private session
        [public] Public session
        [webcast] Webcast
        [correction] Correction
       *[withdrawal] Withdrawal
    }
# Shown by /static/live.js while it follows a live meeting.
web-js-connecting = Connecting for live updates…
web-js-live = Live: new entries appear below automatically.
web-js-lost = Connection lost. Reconnecting…
web-js-ended = This meeting has ended.
web-export-no-webcast = This meeting has no webcast mark (`!webcast`), so it has no timed export.
web-export-failed = The export could not be made.
web-calendar-name = { $council } meetings
web-format = { $format ->
        [md] Markdown (.md)
        [txt] Plain text (.txt)
        [html] Printable HTML (.html)
        [json] Gavel JSON (.json)
        [ocd] Open Civic Data (JSON)
        [popolo] Popolo (JSON)
        [akn] Akoma Ntoso (XML)
        [vtt] WebVTT captions (.vtt)
       *[chapters] YouTube chapters (.txt)
    }

## Exports (src/export/)

export-corrected = (corrected { $time }; originally: { $original })
export-withdrawn = [withdrawn { $time }]
export-withdrawn-reason = [withdrawn { $time }: { $reason }]
export-withheld = Private session: { $count } { $count ->
        [one] entry
       *[other] entries
    } withheld
export-not-closed = (not closed)
export-zone = All times are local to { $zone } (UTC{ $offset }).
export-zone-mixed = Times are local to { $zone }; the clocks changed during the meeting, so each time shows its offset from UTC.
export-chain-verified = Hash chain verified: { $entries } entries, head { $head }.
export-chain-broken = WARNING: the hash chain does not verify: { $detail }.
export-chain-broken-at = WARNING: the hash chain does not verify at entry { $entry }: { $detail }.
export-no-checkpoint = No signed checkpoint.
export-checkpoint-valid = Signed checkpoint: valid, key { $key }, signed { $signed }.
export-checkpoint-invalid = WARNING: the signed checkpoint does not verify: { $problem }.
export-checkpoint-invalid-unknown = WARNING: the signed checkpoint does not verify: unknown problem.
export-chapter-start = Start
export-meeting = meeting { $meeting }
export-meeting-sentence = Meeting { $meeting }.
export-permalink = Permalink
export-exported-for = Exported by Gavel for { $council } at { $at }.
export-exported = Exported by Gavel at { $at }.

## Platform notices to clerks (src/platform/*/input.rs)

matrix-cannot-join = Gavel cannot join { $room } ({ $error }). Invite the bot or fix the config; it will keep trying.
matrix-sync-gap = Gavel may have missed some messages here while it was disconnected. Check recent commands were acknowledged and resend any that were not.
matrix-undecryptable = Gavel could not decrypt your message sent at { $time }: its room key did not arrive within { $seconds } seconds. Nothing was recorded; send it again, and if this keeps happening, check the bot's device is verified in your client.
matrix-device-not-cross-signed = Gavel did not act on that: it came from your device { $device }, which you have not verified. Verify this session from another of your sessions (Element asks at sign-in), then send it again. Nothing was recorded.
matrix-device-identity-not-verified = Gavel did not act on that: this Gavel only takes commands from clerks whose identity its operator has verified, and yours is not. Ask the operator to run `gavel matrix verify { $user }`. Nothing was recorded.
matrix-device-identity-changed = Gavel did not act on that: your identity changed since it was verified, so your devices are no longer trusted. Ask the operator to verify you again. Nothing was recorded.
matrix-device-unknown = Gavel did not act on that: it cannot tell which device sent it, so it cannot check the device is yours. Nothing was recorded.
matrix-plaintext-in-encrypted-room = Gavel did not act on that: this room is encrypted, but that message was not, so Gavel cannot tell which device sent it. Send commands from an ordinary client. Nothing was recorded.
matrix-edits-not-applied = Edits to commands are not applied. To correct a published entry send { $prefix }fix <entry> <new text>; to withdraw one, { $prefix }strike <entry> [reason].
matrix-listening = Gavel is listening: commands from { $clerks } clerk(s) are accepted here; entries go to { $rooms } Matrix room(s).
discord-not-a-command-channel = Gavel only takes commands in its command channels.
discord-clerks-only = Only the meeting's clerks can use /gavel.

## Pinned status (src/status.rs)

status-now = Now: { $title }
status-item = Item { $number }: { $title }
status-last-vote = Latest: { $vote }
status-recess = In recess
status-private = Private session: the public is excluded and nothing is being published
status-follow = Follow live: { $url }
status-ended = Meeting ended: { $title }
status-transcript = Transcript: { $url }

## Consultation reminders (src/reminders.rs, src/receipts.rs)

# The weekday ($weekday, 1 = Monday) is selected here rather than taken from `weekday-name`
# because in Welsh it stands in running text, lower-case.
consult-reminder = Consultation closes { $days ->
        [0] today
        [1] tomorrow
       *[other] in { $days } days
    }: { $title } — { $url } (closes { $weekday ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    } { $closes })
consult-closed = Consultation now closed: { $title }
notice-refused = { $target } refused the notice { $key } ({ $error }); other messages continue.
consult-extend-not-later = Consultation C{ $number } already closes { $closes }; an extension needs a later date.
consult-change-in-private = The public is excluded, so a change to a consultation would not be published; make it after `!public`.

## The clerk's desk in the browser (/desk)
desk-title = Clerk's desk
desk-login-heading = Sign in to the clerk's desk
desk-login-name = Name
desk-login-password = Password
desk-login-button = Sign in
desk-login-refused = That name and password do not match a clerk account.
desk-login-limited = Too many refused sign-ins. Try again in { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    }.
desk-signed-in-as = Signed in as { $name }
desk-sign-out = Sign out
desk-result-recorded = Done
desk-result-refused = Not recorded
desk-js-new-entry = New entry { $entry }
desk-no-meeting = No meeting is open. Start one from the command line: { $example }
desk-banner-private = Private session: the public is excluded and nothing is published until { $command }.
desk-banner-recess = In recess. Resume with { $command }.
desk-go-public = Return to public session
desk-private-reason = Reason for excluding the public
desk-go-private = Go into private session
desk-resume = Resume the meeting
desk-recess-minutes = Recess, in minutes (optional)
desk-recess = Start a recess
desk-agenda = Agenda
desk-agenda-empty = No agenda is preloaded. Announce each item from the command line: { $example }
desk-item-current = current
desk-item-done = done
desk-next = Next item
desk-next-none = The preloaded agenda is finished.
desk-entry-private = private: archived, not published
desk-delivery-none = archived (no targets)
desk-delivery = delivered to { $done } of { $total }
desk-delivery-queued = { $queued } queued
desk-delivery-failed = failing: { $targets }
desk-entries = Latest entries
desk-entries-none = No entries yet.
desk-entry-by = by { $name }
desk-entry-withdrawn = withdrawn
desk-correct = Correct
desk-withdraw = Withdraw
desk-correct-text = Corrected text of entry { $entry }
desk-correct-button = Record the correction
desk-withdraw-reason = Reason for withdrawing entry { $entry } (optional)
desk-withdraw-button = Withdraw the entry
desk-targets = Targets
desk-targets-none = No targets are configured: entries are archived and shown on the web page.
desk-target-failing = failing: { $error }
desk-target-ok = up to date
desk-target-queued = { $queued } waiting
desk-command = Command line
desk-command-label = Any command, for example { $example }
desk-command-button = Record
desk-command-verbs = Commands
desk-vote = Vote
desk-vote-for = For
desk-vote-against = Against
desk-vote-abstain = Abstentions
desk-vote-outcome = Outcome
desk-vote-carried = Carried
desk-vote-lost = Lost
desk-vote-names = Names (optional, separated by commas)
desk-vote-for-names = Voted for
desk-vote-against-names = Voted against
desk-vote-abstain-names = Abstained
desk-vote-casting = Chair's casting vote (optional)
desk-vote-button = Record the vote
desk-field-entry = Entry number
desk-field-text = Corrected text
desk-form-missing = { $field }: this is required.
desk-form-count = { $field }: enter a whole number.
desk-form-character = { $field }: the character | and line breaks cannot be used here.
desk-form-action = The desk has no such action.
desk-shortcuts = Keyboard shortcuts
desk-shortcut-note = Alt shortcuts work anywhere on the desk, and / when you are not typing in a field (they need JavaScript). Every button and form can also be reached with Tab; each entry's Correct / Withdraw menu opens with Enter.
desk-shortcut-next = Next item
desk-shortcut-command = Go to the command line
desk-shortcut-vote = Go to the vote form
desk-consult = Consultation
desk-consult-url = Web address
desk-consult-title = Title
desk-consult-closes = Closes on
desk-consult-button = Record the consultation
desk-roster = Councillors
desk-roster-summary = Councillors ({ $count }): how each voted
desk-roster-none = Did not vote
desk-roster-abstain = Abstained
desk-form-choice = { $field }: choose for, against, abstained or did not vote.
