# Catalog Cymraeg Gavel. Rhaid i bob allwedd yma fod yn locales/en/gavel.ftl hefyd.
# Gavel's Welsh catalogue: the same keys as locales/en/gavel.ftl.

## Cofnodion / Entries (src/render.rs)

meeting-started = Cyfarfod wedi dechrau: { $title }
meeting-closed = Cyfarfod wedi cau
agenda-item = Eitem { $number }: { $title }
motion = Cynnig: { $text }
motion-moved-seconded = (cynigiwyd gan { $mover }, eiliwyd gan { $seconder })
motion-moved = (cynigiwyd gan { $mover })
motion-seconded = (eiliwyd gan { $seconder })
# Ar ôl rhifolyn, mae enw unigol yn naturiol yn Gymraeg, felly nid oes angen dewis lluosog yma.
vote-counted = Pleidlais: { $outcome ->
        [carried] wedi'i chario
       *[lost] wedi methu
    } — { $ayes } o blaid, { $noes } yn erbyn, { $abstain } yn ymatal
vote-show-of-hands = Pleidlais: { $outcome ->
        [carried] wedi'i chario
       *[lost] wedi methu
    } (drwy godi dwylo)
vote-casting = , ar bleidlais fwrw'r { $who }
vote-roll = . O blaid: { $ayes }. Yn erbyn: { $noes }. Yn ymatal: { $abstain }.
vote-roll-none = neb
consultation = Ymgynghoriad: { $title } — { $url } (yn cau { $closes })
consultation-extended = Ymgynghoriad wedi'i estyn: { $title } bellach yn cau { $closes }
consultation-withdrawn = Ymgynghoriad wedi'i dynnu'n ôl: { $title }
link = Dolen: { $title } — { $url }
speaker = Yn siarad: { $name }
recess-for = Toriad o { $minutes } munud am { $time }
recess = Toriad am { $time }
resumed = Cyfarfod yn ailddechrau am { $time }
private = Cyhoedd wedi'u cau allan am { $time }
private-reason = Cyhoedd wedi'u cau allan am { $time } — { $reason }
public = Cyhoedd wedi'u derbyn yn ôl am { $time }
webcast = Gweddarllediad wedi dechrau: { $url }
correction = Cywiriad i { $entry }: { $text }
withdrawal = Tynnwyd cofnod { $entry } yn ôl
withdrawal-reason = Tynnwyd cofnod { $entry } yn ôl — { $reason }
post-corrected = (cywirwyd { $time })

## Dyddiadau / Dates (src/render.rs)

# 31 Ionawr 2027
date-long = { $day } { $month } { $year }
# Dydd Mercher 31 Ionawr 2027
date-weekday-long = { $weekday } { $date }
month-name = { $n ->
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
    }
# $n: 1 = dydd Llun … 7 = dydd Sul
weekday-name = { $n ->
        [1] Dydd Llun
        [2] Dydd Mawrth
        [3] Dydd Mercher
        [4] Dydd Iau
        [5] Dydd Gwener
        [6] Dydd Sadwrn
       *[7] Dydd Sul
    }

## Atebion i'r clerc / Clerk replies (src/desk.rs)

ack-recorded = { $entry } wedi'i gofnodi
ack-recorded-delivering = { $entry } wedi'i gofnodi, yn ei anfon i { $deliveries }
ack-recorded-private = { $entry } wedi'i gofnodi (sesiwn breifat: wedi'i archifo, heb ei gyhoeddi)
ack-already-recorded = Roedd { $entry } wedi'i gofnodi eisoes
ack-exempt-item = Mae eitem { $number } wedi'i nodi'n eithriedig ar agenda'r cyngor. Os yw'r cyfarfod yn penderfynu cau'r cyhoedd allan, teipiwch `!private <rheswm>` (er enghraifft `!private gwybodaeth eithriedig, paragraff 3`); nid yw Gavel yn cau dim allan ar ei ben ei hun.
not-recorded = Heb ei gofnodi
refuse-still-open = Mae “{ $title }” yn dal ar agor. Caewch ef gyda `!end` cyn dechrau cyfarfod arall.
refuse-nothing-scheduled = Nid oes cyfarfod wedi'i drefnu i'w ddechrau. Rhowch deitl: `!start <teitl>`, neu llwythwch un ymlaen llaw gyda `gavel schedule agenda.toml`.
refuse-no-meeting = Nid oes cyfarfod ar agor. Dechreuwch un gyda `!start <teitl>` (neu `!start` ar gyfer y cyfarfod nesaf sydd wedi'i drefnu).
refuse-not-on-roster = Nid yw { $name } ar restr cynghorwyr y cyngor. Ni chofnodwyd dim; enwch y cynghorwyr fel y mae'r rhestr yn eu henwi (mae cyfenw ar ei ben ei hun yn ddigon pan mai dim ond un cynghorydd sydd â'r cyfenw hwnnw).
refuse-not-on-roster-did-you-mean = Nid yw { $name } ar restr cynghorwyr y cyngor; ai { $suggestions } oedd dan sylw? Ni chofnodwyd dim.
refuse-in-recess = Mae'r cyfarfod ar doriad. Defnyddiwch `!resume` yn gyntaf.
refuse-already-in-recess = Mae'r cyfarfod ar doriad eisoes. Defnyddiwch `!resume` i barhau.
refuse-not-in-recess = Nid yw'r cyfarfod ar doriad, felly nid oes dim i'w ailddechrau.
refuse-already-private = Mae'r cyhoedd wedi'u cau allan eisoes. Defnyddiwch `!public` i'w derbyn yn ôl.
refuse-already-public = Mae'r cyfarfod yn gyhoeddus eisoes; daw `!public` ar ôl `!private`.
refuse-no-preloaded-agenda = Nid oes agenda wedi'i llwytho ymlaen llaw ar gyfer y cyfarfod hwn. Defnyddiwch `!agenda <rhif> <teitl>`.
refuse-agenda-finished = Dyna oedd yr eitem olaf ar yr agenda a lwythwyd ymlaen llaw. Defnyddiwch `!agenda <rhif> <teitl>` ar gyfer unrhyw beth arall.
refuse-records-nothing = Nid yw'r gorchymyn hwnnw'n cofnodi dim.
refuse-nothing-to-undo = Nid oes gennych gofnod yn y cyfarfod hwn i'w ddadwneud.
refuse-undo-withdrawn = Mae eich cofnod olaf { $entry } wedi'i dynnu'n ôl eisoes.
refuse-undo-kind = Ni ellir tynnu eich cofnod olaf { $entry } ({ $kind }) yn ôl; mae `!undo` yn tynnu nodiadau, eitemau, cynigion, pleidleisiau, dolenni ac ymgyngoriadau yn ôl.
refuse-no-such-entry = Nid oes cofnod { $entry } yn y cyfarfod hwn (mae gan gyfarfod { $meeting } gofnodion #1 i #{ $last }).
refuse-entry-withdrawn = Mae cofnod { $entry } wedi'i dynnu'n ôl eisoes.
refuse-entry-kind = Cofnod math { $kind } yw { $entry }, ac ni ellir ei gywiro na'i dynnu'n ôl; dim ond nodiadau, eitemau, cynigion, pleidleisiau, dolenni, siaradwyr, gweddarllediadau ac ymgyngoriadau y gellir.
refuse-consultation-withdrawn = Tynnwyd ymgynghoriad C{ $number } yn ôl.
refuse-consultation-closed = Caeodd ymgynghoriad C{ $number } ar { $closes }.
refuse-no-such-consultation = Nid oes ymgynghoriad C{ $number }; mae `!consultations` yn eu rhestru.
refuse-archive-error = ni allai'r archif gofnodi hyn ({ $error }). Ni chofnodwyd dim; rhowch gynnig arall arni.
consultations-none-open = Nid oes ymgyngoriadau ar agor.
consultations-open-heading = Ymgyngoriadau ar agor:
consultations-open-line = C{ $number } { $title } — { $url } (yn cau { $closes })
status-no-meeting = Nid oes cyfarfod ar agor.
status-meeting = Mae cyfarfod { $meeting } “{ $title }” ar agor{ $state ->
        [recess] , ar doriad
        [private] , y cyhoedd wedi'u cau allan (nid oes dim yn cael ei gyhoeddi)
        [recess-private] , ar doriad, y cyhoedd wedi'u cau allan (nid oes dim yn cael ei gyhoeddi)
       *[open] {""}
    }.
status-current-item = Eitem gyfredol: { $number } { $title }.
status-entries = Cofnodion: { $count }.
status-no-targets = Nid oes targedau anfon wedi'u ffurfweddu.
status-target-failing = { $target }: YN METHU ({ $error }); { $queued } yn y ciw, dim wedi'i golli.
status-target-queued = { $target }: iawn, { $queued } yn y ciw.
status-target-ok = { $target }: iawn, yn gyfredol.
help-commands = Gorchmynion: { $commands }.
help-more = !help <gorchymyn> am fanylion un ohonynt.
help-no-such-command = Nid oes gorchymyn `{ $command }`.
help-list-all = Mae !help yn eu rhestru i gyd.
agenda-heading = Agenda “{ $title }”:
agenda-current-item = Eitem gyfredol: { $number } { $title }
agenda-no-items = Dim eitemau agenda eto.
now-no-meeting = Nid oes cyfarfod yn cael ei gynnal.
now-meeting = Nawr: “{ $title }”
now-item = , eitem { $number }: { $title }
now-in-recess = (ar doriad)
now-private = (y cyhoedd wedi'u cau allan)
now-last-vote = . Pleidlais ddiwethaf: { $vote }

## Cymorth a gwrthodiadau / Command help and refusals (src/command.rs)

# Beth mae pob gorchymyn yn ei wneud (`!help <gorchymyn>`).
verb-about = { $verb ->
        [start] agor cyfarfod
        [end] cau'r cyfarfod
        [agenda] eitem agenda newydd (mae !agenda ar ei ben ei hun yn dangos yr agenda)
        [next] symud i'r eitem agenda nesaf a lwythwyd ymlaen llaw
        [motion] cynnig ar yr eitem gyfredol
        [vote] canlyniad pleidlais
        [consult] ymgynghoriad cyhoeddus
        [consultations] rhestru'r ymgyngoriadau sydd ar agor
        [link] dolen i bapurau, gweddarllediad neu ddogfennau
        [note] sylwebaeth
        [speaker] pwy sy'n siarad
        [recess] gohirio am ychydig
        [resume] ailddechrau ar ôl toriad
        [private] cau'r cyhoedd allan: ni chyhoeddir dim tan !public
        [public] derbyn y cyhoedd yn ôl
        [webcast] nodi dechrau'r gweddarllediad (mae allforion yn rhoi amserau a phenodau)
        [fix] cywiro cofnod ym mhob man
        [strike] tynnu cofnod yn ôl ym mhob man
        [undo] tynnu eich cofnod olaf eich hun yn ôl
        [status] cyflwr y cyfarfod ac iechyd yr anfon
        [help] sut i ddefnyddio'r gorchmynion
       *[now] beth sy'n digwydd nawr
    }
# Sut mae ysgrifennu pob gorchymyn. Mae geiriau'r gorchmynion a'r opsiynau'n aros yn Saesneg.
verb-usage = { $verb ->
        [start] !start <teitl> (neu !start ar ei ben ei hun ar gyfer y cyfarfod nesaf sydd wedi'i drefnu)
        [end] !end
        [agenda] !agenda <rhif> <teitl>, e.e. !agenda 5 Cais cynllunio
        [next] !next
        [motion] !motion <testun> | mover=<enw> | seconder=<enw>
        [vote] !vote <o blaid>-<yn erbyn>-<yn ymatal> carried|lost [| casting=chair] [| for=A, B | against=C | abstain=D], neu !vote carried|lost
        [consult] !consult <url> <teitl> | closes=BBBB-MM-DD, !consult extend <n> BBBB-MM-DD, !consult withdraw <n>
        [consultations] !consultations
        [link] !link <url> <teitl>
        [note] !note <testun>
        [speaker] !speaker <enw>
        [recess] !recess [munudau]
        [resume] !resume
        [private] !private [rheswm]
        [public] !public
        [webcast] !webcast <url>
        [fix] !fix <cofnod> <testun newydd>, e.e. !fix 12 Eiliodd y Cynghorydd Smith
        [strike] !strike <cofnod> [rheswm]
        [undo] !undo
        [status] !status
        [help] !help [gorchymyn]
       *[now] !now
    }
parse-expected = Disgwylir: { $usage }
parse-help-list = !help am y rhestr o orchmynion
parse-line-too-long = Mae'r llinell yn { $chars } nod o hyd; y terfyn yw { $limit }. Rhannwch hi'n sawl gorchymyn.
parse-bidi-control = Mae'r llinell yn cynnwys nod rheoli deugyfeiriadol anweledig ({ $code }), a all guddio testun. Teipiwch hi eto heb y nod hwnnw.
parse-control-char = Mae'r llinell yn cynnwys nod rheoli ({ $code }). Teipiwch hi eto heb y nod hwnnw.
parse-no-command = Mae angen gorchymyn ar ôl `{ $prefix }`.
parse-unknown-command-suggest = Gorchymyn anhysbys `{ $command }`. Oeddech chi'n golygu `{ $suggestion }`?
parse-unknown-command = Gorchymyn anhysbys `{ $command }`.
parse-takes-nothing = Nid yw `!{ $verb }` yn cymryd dim ar ei ôl.
parse-needs-text = Mae angen { $what ->
        [name] enw
       *[text] testun
    } ar `!{ $verb }`.
parse-not-an-option = Nid yw `| { $segment }` yn opsiwn `key=value`; mae `!{ $verb }` yn derbyn { $keys }.
parse-unknown-option = Nid oes gan `!{ $verb }` opsiwn `{ $key }`; mae'n derbyn { $keys }.
parse-option-twice = Mae opsiwn `{ $key }` wedi'i roi ddwywaith.
parse-agenda-number = Nid yw `{ $number }` yn rhif eitem agenda (fel 5, 5a neu 7.2).
parse-agenda-title = Mae angen teitl ar eitem agenda { $number }.
parse-motion-text = Mae angen testun y cynnig ar `!motion`.
parse-option-needs-name = Mae angen enw ar `{ $key }=`.
parse-count-not-number = Nid yw'r cyfrif { $what ->
        [for] o blaid
        [against] yn erbyn
       *[abstain] yn ymatal
    } `{ $count }` yn rhif cyfan o sero neu fwy.
parse-count-too-large = Mae'r cyfrif { $what ->
        [for] o blaid
        [against] yn erbyn
       *[abstain] yn ymatal
    } `{ $count }` yn rhy fawr.
parse-empty-name = Mae enw gwag yn `{ $option }=`; gwahanwch enwau â choma.
parse-vote-needs-result = Mae angen canlyniad ar `!vote`: carried (wedi'i chario) neu lost (wedi methu).
parse-not-a-result = Nid yw `{ $result }` yn ganlyniad pleidlais.
parse-vote-result-after-counts = Mae angen canlyniad ar ôl y cyfrifon: carried (wedi'i chario) neu lost (wedi methu).
parse-not-a-result-use = Nid yw `{ $result }` yn ganlyniad pleidlais; defnyddiwch carried neu lost.
parse-not-a-tally = Nid yw `{ $tally }` yn gyfrif; ysgrifennwch o blaid-yn erbyn-yn ymatal, fel 32-10-3.
parse-casting-needs-who = Mae angen i `casting=` ddweud pwy roddodd y bleidlais fwrw, e.e. casting=chair.
parse-named-twice = Mae { $name } wedi'i enwi fwy nag unwaith yn y bleidlais a gofnodwyd.
parse-names-mismatch = Nid yw'r enwau'n cyfateb i'r cyfrifon: { $counted } wedi'u cyfrif ond { $named } wedi'u henwi. Rhaid i enwau pleidlais a gofnodir gyfateb yn union i'w chyfrifon.
parse-carried-needs-majority = Mae angen mwy o bleidleisiau o blaid nag yn erbyn i gario cynnig ({ $ayes } o blaid, { $noes } yn erbyn). Os rhoddodd y cadeirydd bleidlais fwrw, ychwanegwch `| casting=chair`.
parse-casting-needs-tie = Dim ond pan fo'r bleidlais yn gyfartal y rhoddir pleidlais fwrw, ond roedd { $ayes } o blaid a { $noes } yn erbyn.
parse-no-votes = Ni ellir cofnodi pleidlais heb unrhyw bleidleisiau o gwbl.
parse-not-a-url = Nid yw `{ $url }` yn gyfeiriad gwe; rhowch ddolen http:// neu https:// lawn.
parse-url-scheme = Dim ond dolenni http:// a https:// a ganiateir, nid `{ $scheme }:`.
parse-url-no-host = Nid oes gwesteiwr gan `{ $url }`.
parse-url-credentials = Ni chaiff dolenni gynnwys enw defnyddiwr na chyfrinair.
parse-needs-link = Mae angen dolen ar `!{ $verb }`.
parse-needs-link-title = Mae angen teitl ar ôl y ddolen ar `!{ $verb }`.
parse-not-a-date = Nid yw `{ $date }` yn ddyddiad go iawn; ysgrifennwch BBBB-MM-DD, fel 2027-01-31.
parse-date-past = Mae'r dyddiad cau { $date } yn y gorffennol.
parse-consult-extend = Mae angen rhif ymgynghoriad a dyddiad cau newydd ar `!consult extend`.
parse-consult-withdraw = Mae angen rhif ymgynghoriad ar `!consult withdraw`.
parse-consult-closes = Mae angen dyddiad cau ar ymgynghoriad: ychwanegwch `| closes=BBBB-MM-DD`.
parse-consult-number = Nid yw `{ $number }` yn rhif ymgynghoriad (gweler !consultations).
parse-webcast-link = Mae angen dolen y gweddarllediad ar `!webcast`.
parse-webcast-one-link = Dim ond un ddolen y mae `!webcast` yn ei chymryd.
parse-recess-minutes = Nid yw `{ $minutes }` yn nifer o funudau (1 i 1440).
parse-needs-entry = Mae angen rhif cofnod ar `!{ $verb }`.
parse-not-an-entry = Nid yw `{ $entry }` yn rif cofnod (fel 12 neu #12).
parse-fix-text = Mae angen y testun wedi'i gywiro ar `!fix { $entry }`.

## Derbynebau a hysbysiadau anfon / Receipts and delivery notices (src/receipts.rs)

receipt-delivered = { $entry } wedi'i anfon { $done }/{ $total }
receipt-refused = { $entry } wedi'i anfon { $done }/{ $total }; wedi'i wrthod gan { $targets } (gweler !status)
notice-target-failing = Mae'r anfon i { $target } yn methu ({ $error }). { $queued } yn y ciw; does dim wedi'i golli a byddant yn mynd allan yn eu trefn pan fydd yn gwella.
notice-target-recovered = { $queued ->
        [0] Mae'r anfon i { $target } wedi gwella; mae'n gyfredol.
       *[other] Mae'r anfon i { $target } wedi gwella; yn anfon y { $queued } sydd yn y ciw yn eu trefn.
    }
notice-entry-refused = Gwrthododd { $target } { $entry } ({ $error }); mae'r cofnodion eraill yn parhau.

## Mewnbynnau'r clerc / Clerk inputs (src/console.rs, src/web/api.rs, src/platform/*/input.rs)

input-not-a-command = Nid yw hwn yn orchymyn: mae gorchmynion yn dechrau gyda `{ $prefix }` (rhowch gynnig ar { $prefix }help).
input-not-a-command-short = Nid yw hwn yn orchymyn: rhowch gynnig ar { $prefix }help
input-not-a-command-api = nid yw hwn yn orchymyn: mae gorchmynion yn dechrau gyda `{ $prefix }`, e.e. `{ $prefix }note Mae'r cyfarfod yn gworwm`
input-not-utf8 = Heb ei gofnodi: nid yw'r llinell yn destun UTF-8 dilys. Teipiwch hi eto.

## Tudalen we / Web page chrome (src/web/)

web-skip-link = Neidio i'r prif gynnwys
web-nav-label = Safle
web-nav-meetings = Cyfarfodydd
web-nav-search = Chwilio
web-nav-feed = Ffrwd Atom
web-nav-calendar = Calendr (ICS)
web-footer = Sylwebaeth fyw o gyfarfodydd { $council }. Amser lleol yw'r amseroedd. Caiff trawsgrifiadau eu harchifo gyda chadwyn hash sy'n dangos unrhyw ymyrryd.
web-feed-title = { $council }: diweddariadau byw o gyfarfodydd
web-date-to-be-announced = dyddiad i'w gyhoeddi
web-date-time = { $date }, { $time }
web-status-live = Yn fyw nawr
web-status-ended = Wedi gorffen
web-status-scheduled = Wedi'i drefnu
# Ar ôl rhifolyn, defnyddir yr unigol: 1 cofnod, 2 gofnod … ond gyda digidau, "cofnod" bob tro.
web-entry-count = { $count } cofnod
web-index-heading = { $council }: cyfarfodydd y cyngor
web-now-sitting = Yn eistedd nawr
web-none-sitting = Nid oes cyfarfod yn eistedd ar hyn o bryd.
web-coming-up = I ddod
web-recent = Cyfarfodydd diweddar
web-none-held = Nid oes cyfarfodydd wedi'u cynnal eto.
web-open-consultations = Ymgyngoriadau ar agor
web-no-open-consultations = Nid oes ymgyngoriadau ar agor.
web-consultation-item = { $link } — yn cau { $closes } (cyhoeddwyd yn <a href="{ $href }">cyfarfod { $meeting }, cofnod #{ $entry }</a>)
web-downloads = Lawrlwythiadau
web-download-heading = Lawrlwytho'r trawsgrifiad
web-transcript = Trawsgrifiad
web-meeting-live = Mae'r cyfarfod hwn yn fyw.
web-meeting-not-started = Nid yw'r cyfarfod hwn wedi dechrau eto.
web-live-reload = Ail-lwythwch y dudalen i weld cofnodion newydd, neu trowch JavaScript ymlaen i gael diweddariadau awtomatig.
web-nothing-yet = Nid oes dim wedi'i gofnodi eto.
web-new-entries = Cofnodion newydd
web-now-heading = Nawr
web-now-no-item = Nid oes eitem ar yr agenda wedi'i chymryd eto.
web-search-heading = Chwilio trawsgrifiadau
web-search-label = Geiriau i'w canfod
web-search-button = Chwilio
web-search-results = { $count } canlyniad ar gyfer “{ $query }”
web-search-none = Ni chafwyd cofnodion yn cyfateb. Rhowch gynnig ar lai o eiriau neu eiriau gwahanol.
web-search-hit = { $title }, cofnod #{ $entry }
web-search-title = Chwilio
web-search-title-query = Chwilio: { $query }
web-permalink = Dolen barhaol i gofnod { $entry }
web-badge-corrected = Cywirwyd
web-badge-withdrawn = Tynnwyd yn ôl
web-about-entry = am gofnod #{ $entry }
web-corrected-at = Cywirwyd am { $at } (cofnod #{ $entry }). Cyn hynny, am { $previous }: { $text }
web-no-reason = ni roddwyd rheswm
web-withdrawn = Tynnwyd yn ôl: { $reason } (am { $at }, cofnod #{ $entry })
web-live-summary = Cofnod newydd #{ $entry } am { $time }, { $kind }: { $text }
web-feed-withdrawn-tag = [Tynnwyd yn ôl]
web-feed-corrected-tag = [Cywirwyd]
web-feed-withdrawn = Tynnwyd yn ôl am { $time }: { $reason }. Roedd y cofnod yn darllen: { $text }
web-feed-corrected = { $text } (cywirwyd am { $time }; yn wreiddiol: { $original })
web-kind = { $kind ->
        [start] Cyfarfod wedi dechrau
        [end] Cyfarfod wedi cau
        [agenda] Eitem agenda
        [motion] Cynnig
        [vote] Pleidlais
        [consult] Ymgynghoriad
        [consult_extend] Ymgynghoriad wedi'i estyn
        [consult_withdraw] Ymgynghoriad wedi'i dynnu'n ôl
        [link] Dolen
        [note] Nodyn
        [speaker] Siaradwr
        [recess] Toriad
        [resume] Ailddechrau
        [private] Sesiwn breifat
        [public] Sesiwn gyhoeddus
        [webcast] Gweddarllediad
        [correction] Cywiriad
       *[withdrawal] Tynnu'n ôl
    }
web-js-connecting = Yn cysylltu ar gyfer diweddariadau byw…
web-js-live = Yn fyw: mae cofnodion newydd yn ymddangos isod yn awtomatig.
web-js-lost = Collwyd y cysylltiad. Yn ailgysylltu…
web-js-ended = Mae'r cyfarfod hwn wedi dod i ben.
web-export-no-webcast = Nid oes marc gweddarllediad (`!webcast`) gan y cyfarfod hwn, felly nid oes allforiad wedi'i amseru ar ei gyfer.
web-export-failed = Ni ellid gwneud yr allforiad.
web-calendar-name = Cyfarfodydd { $council }
web-format = { $format ->
        [md] Markdown (.md)
        [txt] Testun plaen (.txt)
        [html] HTML i'w argraffu (.html)
        [json] JSON Gavel (.json)
        [ocd] Open Civic Data (JSON)
        [popolo] Popolo (JSON)
        [akn] Akoma Ntoso (XML)
        [vtt] Capsiynau WebVTT (.vtt)
       *[chapters] Penodau YouTube (.txt)
    }

## Allforion / Exports (src/export/)

export-corrected = (cywirwyd { $time }; yn wreiddiol: { $original })
export-withdrawn = [tynnwyd yn ôl { $time }]
export-withdrawn-reason = [tynnwyd yn ôl { $time }: { $reason }]
export-withheld = Sesiwn breifat: { $count } cofnod wedi'u dal yn ôl
export-not-closed = (heb ei gau)
export-zone = Mae pob amser yn amser lleol { $zone } (UTC{ $offset }).
export-zone-mixed = Mae'r amseroedd yn amser lleol { $zone }; newidiodd y clociau yn ystod y cyfarfod, felly mae pob amser yn dangos ei wahaniaeth oddi wrth UTC.
export-chain-verified = Cadwyn hash wedi'i gwirio: { $entries } cofnod, pen { $head }.
export-chain-broken = RHYBUDD: nid yw'r gadwyn hash yn gwirio: { $detail }.
export-chain-broken-at = RHYBUDD: nid yw'r gadwyn hash yn gwirio yng nghofnod { $entry }: { $detail }.
export-no-checkpoint = Dim pwynt gwirio wedi'i lofnodi.
export-checkpoint-valid = Pwynt gwirio wedi'i lofnodi: dilys, allwedd { $key }, llofnodwyd { $signed }.
export-checkpoint-invalid = RHYBUDD: nid yw'r pwynt gwirio wedi'i lofnodi yn gwirio: { $problem }.
export-checkpoint-invalid-unknown = RHYBUDD: nid yw'r pwynt gwirio wedi'i lofnodi yn gwirio: problem anhysbys.
export-chapter-start = Dechrau
export-meeting = cyfarfod { $meeting }
export-meeting-sentence = Cyfarfod { $meeting }.
export-permalink = Dolen barhaol
export-exported-for = Allforiwyd gan Gavel ar gyfer { $council } am { $at }.
export-exported = Allforiwyd gan Gavel am { $at }.

## Hysbysiadau platfform i glercod / Platform notices to clerks (src/platform/*/input.rs)

matrix-cannot-join = Ni all Gavel ymuno â { $room } ({ $error }). Gwahoddwch y bot neu cywirwch y ffurfweddiad; bydd yn dal i geisio.
matrix-sync-gap = Efallai fod Gavel wedi methu rhai negeseuon yma tra oedd wedi'i ddatgysylltu. Gwiriwch fod gorchmynion diweddar wedi'u cydnabod ac anfonwch eto unrhyw rai nad oeddent.
matrix-undecryptable = Ni allai Gavel ddadgryptio eich neges a anfonwyd am { $time }: ni chyrhaeddodd allwedd yr ystafell o fewn { $seconds } eiliad. Ni chofnodwyd dim; anfonwch hi eto, ac os yw hyn yn digwydd o hyd, gwiriwch fod dyfais y bot wedi'i dilysu yn eich cleient.
matrix-device-not-cross-signed = Ni weithredodd Gavel ar hynny: daeth o'ch dyfais { $device }, nad ydych wedi'i dilysu. Dilyswch y sesiwn hon o un arall o'ch sesiynau (mae Element yn gofyn wrth fewngofnodi), yna anfonwch hi eto. Ni chofnodwyd dim.
matrix-device-identity-not-verified = Ni weithredodd Gavel ar hynny: dim ond gan glercod y mae ei weithredwr wedi dilysu eu hunaniaeth y mae'r Gavel hwn yn derbyn gorchmynion, ac nid yw eich un chi wedi'i dilysu. Gofynnwch i'r gweithredwr redeg `gavel matrix verify { $user }`. Ni chofnodwyd dim.
matrix-device-identity-changed = Ni weithredodd Gavel ar hynny: mae eich hunaniaeth wedi newid ers iddi gael ei dilysu, felly nid yw eich dyfeisiau'n cael eu trystio mwyach. Gofynnwch i'r gweithredwr eich dilysu eto. Ni chofnodwyd dim.
matrix-device-unknown = Ni weithredodd Gavel ar hynny: ni all ddweud pa ddyfais a'i hanfonodd, felly ni all wirio mai eich un chi yw hi. Ni chofnodwyd dim.
matrix-plaintext-in-encrypted-room = Ni weithredodd Gavel ar hynny: mae'r ystafell hon wedi'i hamgryptio, ond nid oedd y neges honno, felly ni all Gavel ddweud pa ddyfais a'i hanfonodd. Anfonwch orchmynion o gleient arferol. Ni chofnodwyd dim.
matrix-edits-not-applied = Ni chaiff golygiadau i orchmynion eu gweithredu. I gywiro cofnod a gyhoeddwyd anfonwch { $prefix }fix <cofnod> <testun newydd>; i dynnu un yn ôl, { $prefix }strike <cofnod> [rheswm].
matrix-listening = Mae Gavel yn gwrando: derbynnir gorchmynion gan { $clerks } clerc yma; mae cofnodion yn mynd i { $rooms } ystafell Matrix.
discord-not-a-command-channel = Dim ond yn ei sianeli gorchmynion y mae Gavel yn derbyn gorchmynion.
discord-clerks-only = Dim ond clercod y cyfarfod a all ddefnyddio /gavel.

## Statws wedi'i binio / Pinned status (src/status.rs)

status-now = Nawr: { $title }
status-item = Eitem { $number }: { $title }
status-last-vote = Diweddaraf: { $vote }
status-recess = Ar egwyl
status-private = Sesiwn breifat: mae'r cyhoedd wedi'u cau allan ac nid oes dim yn cael ei gyhoeddi
status-follow = Dilynwch yn fyw: { $url }
status-ended = Daeth y cyfarfod i ben: { $title }
status-transcript = Trawsgrifiad: { $url }

## Nodiadau atgoffa ymgynghoriadau / Consultation reminders (src/reminders.rs, src/receipts.rs)

# Y diwrnod yng nghanol brawddeg, felly `dydd` mewn llythrennau bach (mae `weekday-name` ar gyfer penawdau).
# The weekday in running text, so lower-case `dydd` (`weekday-name` is for headings).
consult-reminder = Mae'r ymgynghoriad yn cau { $days ->
        [0] heddiw
        [1] yfory
       *[other] ymhen { $days } diwrnod
    }: { $title } — { $url } (yn cau { $weekday ->
        [1] dydd Llun
        [2] dydd Mawrth
        [3] dydd Mercher
        [4] dydd Iau
        [5] dydd Gwener
        [6] dydd Sadwrn
       *[7] dydd Sul
    } { $closes })
consult-closed = Mae'r ymgynghoriad bellach wedi cau: { $title }
notice-refused = Gwrthododd { $target } yr hysbysiad { $key } ({ $error }); mae negeseuon eraill yn parhau.
consult-extend-not-later = Mae ymgynghoriad C{ $number } eisoes yn cau { $closes }; mae angen dyddiad hwyrach ar estyniad.
consult-change-in-private = Mae'r cyhoedd wedi'u cau allan, felly ni fyddai newid i ymgynghoriad yn cael ei gyhoeddi; gwnewch y newid ar ôl `!public`.

## Desg y clerc yn y porwr (/desk)
desk-title = Desg y clerc
desk-login-heading = Mewngofnodi i ddesg y clerc
desk-login-name = Enw
desk-login-password = Cyfrinair
desk-login-button = Mewngofnodi
desk-login-refused = Nid yw'r enw a'r cyfrinair hwnnw'n cyfateb i gyfrif clerc.
desk-login-limited = Gormod o ymdrechion mewngofnodi a wrthodwyd. Rhowch gynnig arall ymhen { $minutes } { $minutes ->
        [one] munud
       *[other] munud
    }.
desk-signed-in-as = Wedi mewngofnodi fel { $name }
desk-sign-out = Allgofnodi
desk-result-recorded = Wedi'i wneud
desk-result-refused = Heb ei gofnodi
desk-js-new-entry = Cofnod newydd { $entry }
desk-no-meeting = Nid oes cyfarfod ar agor. Dechreuwch un o'r llinell orchymyn: { $example }
desk-banner-private = Sesiwn breifat: mae'r cyhoedd wedi'u cau allan ac ni chyhoeddir dim tan { $command }.
desk-banner-recess = Mewn egwyl. Ailddechreuwch gyda { $command }.
desk-go-public = Dychwelyd i sesiwn gyhoeddus
desk-private-reason = Rheswm dros gau'r cyhoedd allan
desk-go-private = Mynd i sesiwn breifat
desk-resume = Ailddechrau'r cyfarfod
desk-recess-minutes = Egwyl, mewn munudau (dewisol)
desk-recess = Dechrau egwyl
desk-agenda = Eitemau ar yr agenda
desk-agenda-empty = Nid oes agenda wedi'i llwytho ymlaen llaw. Cyhoeddwch bob eitem o'r llinell orchymyn: { $example }
desk-item-current = cyfredol
desk-item-done = wedi'i wneud
desk-next = Yr eitem nesaf
desk-next-none = Mae'r agenda a lwythwyd ymlaen llaw wedi'i chwblhau.
desk-entry-private = preifat: wedi'i archifo, heb ei gyhoeddi
desk-delivery-none = wedi'i archifo (dim targedau)
desk-delivery = wedi'i anfon i { $done } o { $total }
desk-delivery-queued = { $queued } yn y ciw
desk-delivery-failed = yn methu: { $targets }
desk-entries = Y cofnodion diweddaraf
desk-entries-none = Dim cofnodion eto.
desk-entry-by = gan { $name }
desk-entry-withdrawn = wedi'i dynnu'n ôl
desk-correct = Cywiro
desk-withdraw = Tynnu'n ôl
desk-correct-text = Testun cywir cofnod { $entry }
desk-correct-button = Cofnodi'r cywiriad
desk-withdraw-reason = Rheswm dros dynnu cofnod { $entry } yn ôl (dewisol)
desk-withdraw-button = Tynnu'r cofnod yn ôl
desk-targets = Targedau
desk-targets-none = Nid oes targedau wedi'u ffurfweddu: caiff cofnodion eu harchifo a'u dangos ar y dudalen we.
desk-target-failing = yn methu: { $error }
desk-target-ok = yn gyfredol
desk-target-queued = { $queued } yn aros
desk-command = Llinell orchymyn
desk-command-label = Unrhyw orchymyn, er enghraifft { $example }
desk-command-button = Cofnodi
desk-command-verbs = Gorchmynion
desk-vote = Pleidlais
desk-vote-for = O blaid
desk-vote-against = Yn erbyn
desk-vote-abstain = Yn ymatal
desk-vote-outcome = Canlyniad
desk-vote-carried = Derbyniwyd
desk-vote-lost = Gwrthodwyd
desk-vote-names = Enwau (dewisol, wedi'u gwahanu gan atalnodau)
desk-vote-for-names = Pleidleisiodd o blaid
desk-vote-against-names = Pleidleisiodd yn erbyn
desk-vote-abstain-names = Ymataliodd
desk-vote-casting = Pleidlais fwrw'r cadeirydd (dewisol)
desk-vote-button = Cofnodi'r bleidlais
desk-field-entry = Rhif y cofnod
desk-field-text = Testun cywir
desk-form-missing = { $field }: mae angen hwn.
desk-form-count = { $field }: rhowch rif cyfan.
desk-form-character = { $field }: ni ellir defnyddio'r nod | na thoriadau llinell yma.
desk-form-action = Nid oes gan y ddesg weithred o'r fath.
desk-shortcuts = Llwybrau byr bysellfwrdd
desk-shortcut-note = Mae llwybrau byr Alt yn gweithio unrhyw le ar y ddesg, a / pan nad ydych yn teipio mewn maes (mae angen JavaScript arnynt). Gellir cyrraedd pob botwm a ffurflen gyda Tab hefyd; mae dewislen Cywiro / Tynnu'n ôl pob cofnod yn agor gydag Enter.
desk-shortcut-next = Yr eitem nesaf
desk-shortcut-command = Mynd i'r llinell orchymyn
desk-shortcut-vote = Mynd i'r ffurflen bleidleisio
desk-consult = Ymgynghoriad
desk-consult-url = Cyfeiriad gwe
desk-consult-title = Teitl
desk-consult-closes = Yn cau ar
desk-consult-button = Cofnodi'r ymgynghoriad
desk-roster = Cynghorwyr
desk-roster-summary = Cynghorwyr ({ $count }): sut y pleidleisiodd pob un
desk-roster-none = Heb bleidleisio
desk-roster-abstain = Ymataliodd
desk-form-choice = { $field }: dewiswch o blaid, yn erbyn, ymataliodd neu heb bleidleisio.
