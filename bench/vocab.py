"""Word lists for the synthetic news corpus: common words, news vocabulary, names, sections.

The lists are fixed data (no network, no system dictionary) so the corpus is the same on every
machine. Order matters: :data:`FUNCTION_WORDS` is in rough English frequency order and takes the
top Zipf ranks; the other words are ranked by a seeded shuffle in :mod:`bench.corpus`.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# Roughly in English frequency order: these take the highest Zipf ranks.
FUNCTION_WORDS = _words(
    """
the of to and a in that is was for on it with as he by at his be from has have had are an which not
but this its were they their said been who will after would also more one or over we there than
about up into some new two against when year other her all out could people what first can last
since she only so because while them those him most then time many before government where three
says years told such week may president should being under back still between during just no now
any through very like our if these made own how did down much even well off do world people’s last
according while make around including
"""
)

# General and news vocabulary, in no particular order (ranked by a seeded shuffle).
CONTENT_WORDS = _words(
    """
ability able absolute accused across added administration advanced again agency agree ahead aid aim
aimed alighting alleged already amid announced anonymity another answers anti-corruption anti-tank
anticipation anything app appeared approving architect armaments armoured arms army arrest arrived
arrives article artillery ask asked assassinated assassination assessments asset assimilate
assistance attack attacks attempt attend attending backpedals backs base became begging behind
belief believed bilateral bill block bludgeon board boards boasting bomb bombs border breached
breaks breakthrough briefed bring brings bronze brought building businessman called calling cannot
capital captured carrying catastrophe cause cemetery chance changes characterise chief citing
citizens city claimed claiming claims clearance close closed closely closer cluster coming
commanders comments competition concerns concluded concrete condemn condemns condition confirmed
confirms conflict connection continue continues continuing contracts control controversially
cooperate cooperation counter-offensive counteroffensive counterpart counterparts country court
crash crashed crime crimes criminal cross daily damage day days deal death decision decision-making
decisively declaration declarations declared deeper defence defences defensive defiant delivered
demands denied denies departed department depleted deploying deprived deserters desperate destroy
destruction detail details detained determined devoted dictated died difficult dire disclosures
discuss dissidents documentary documents downed drilling drone duty-bound each earlier early east
eastern economic effort elections electoral emails embraces emerged end ending entirely environment
envisaged estimated event every evidence exchange exclusive expect expected explosion export
expressed eyebrows face face-to-face faces factors fanfare far farewell faster fate fear fears
field fight fighters fighting figure filmed financier finds focused followed following food forces
foreign forgive format former forum forward foster foundations founder four fronts full fully
funeral further future-oriented gains gas gateway gave general get given giving glance goodbye
grain grain-exporting grew group grows guys happened head headquarters heads hegemonic held help
helped hero hesitation high-profile himself hold home hours humiliated important impoverished
improving indicated instantly intelligence intentional international interview interviewer invasion
investigation invitation invited invites involvement isolation issued issues jailed jet join keep
killed killing know laid land later latest lay leader leaders leadership leading left legacy length
lengthy level lie likely limited line lines linked long longer-range loophole lose lot lower main
makes martyr meant media meet meeting meetings member mercenary messaging met metre mile miles
military mine minister ministers missile missiles mistakes mobilisation month months monument move
moved moving munitions mutiny nation near nearly negotiations news next noble nodded north
north-eastern north-west nothing nuclear-powered oblasts occupied odds offer offered offers
official officials oil onboard opening opponents oppose opposition order ordered orders
organisation outskirts packed painstaking pariah parliamentary participated past patriot peace
peacemaker place plane plans platforms poised police port ports position possibility possible post
potential potentially precaution presence preside press private probable process programme promises
propagandists protecting provide proximity public punish quelled question rail raised rare reaction
reading reason reassurance recalibrated recaptured recaptures recognition refit regained regaining
regarding relations released remains removal reneging renewed repel report reported reportedly
reporters repressive reputation resources rest restore result results retain retaken reviled
revived revolution revolutionary rigs rivalled role rowed rule ruthless sacred sales sanctions
satellites save say saying scene sealed search second secret sector security see seeking seeks
seized send serious service session set seven sham shells shipment shipyard show sign signatory
signed significant signing similar sit-down sited situation six sledgehammer slightly so-called
soon sought southern sovereignty space spar speaking specific speculation speech spies spoiler
spokesman spy square stable state stated statement station statue statute steps strategic
stronghold submarines suggest suggesting suggestion summit summoned superyacht supply supplying
support survived suspended symbol system tactics take talented talks tape technology televised
telling territories territory third though threatened threatens toppled touched town train traitor
travel travelled travels tried trigger troops trumpeted turned unclear undergoing unity unveiled
unwritten update uranium urged urgent urges use utilising vehicles vetoed via visit vital voluntary
voted war warlord warned warnings warns warrant watched waters weaker weapon weapons weeks welcome
western whether willingness win wish within without won woo writes abortion absence abuse academic
academy accept acceptable access accident accommodation account accounts achieve achievement
acknowledged acquisition act action activist activists actor actors actress actual actually
addition additional address adult adults advantage adverts advice adviser affair affairs affected
affordable afternoon age aged agenda ago agreed agreement agriculture aid aircraft airline airlines
airport album alcohol alert allegations allies allow allowed almost alone along alongside
alternative although always ambassador ambition ambulance amount analysis analyst analysts ancient
anger angry animal animals anniversary annual answer anxiety apart apartment apology appeal appeals
appear application applications appointed approach approval approved april archive area areas argue
argued argument arrival art artist artists arts aside asylum athlete athletes atmosphere attempted
attention audience august austerity author authorities authority available average avoid award
awards aware away baby background bad bag balance ball ballot bank banks bar barely bargain battle
battery beach bear beat beautiful became become bed beer began begin beginning behaviour believe
benefit benefits best bet better beyond bid big biggest billion billionaire bills biodiversity bird
birds birth birthday bit black blame blamed blast blood blow blue boat body bond bonds bonus book
books boost born borrowing boss bosses bottom bought box boy boys brain brand brave bread break
breakfast breaking breath bridge brief briefly bright brilliant broad broadband broadcast
broadcaster broke broken brother brothers budget build builders built bullet burden bus business
businesses busy buy buyers buying cabinet cafe calculated calendar call calls calm came camera camp
campaign campaigners campaigns cancer candidate candidates capacity car carbon card care career
careful carers cars case cases cash cast castle casualties cat catch caught celebrate celebrated
celebration celebrity cell central centre centres century ceremony certain certainly chain chair
chairman challenge challenges champion champions championship chancellor change changed channel
chaos chapter character charge charged charges charity cheap check checks chemical chief children
child childhood choice choose chose chosen church cinema circumstances city civil civilian
civilians claim class classic classroom clean clear clearly climate clinic clinical clock closure
clothes club clubs coach coal coast coastal code coffee cold collapse collapsed colleagues
collection college colour column combined come comedy comfort comfortable command comment
commercial commission commissioner commitment committed committee common communities community
companies company compared comparison compensation complaint complaints complete completely complex
concern concert conclusion conditions conduct conference confidence confirm conservation
conservative consider considered constitution construction consultation consumer consumers contact
content contest context contract contribution controversial convention conversation convicted cook
cool cope core corner corporate correct corruption cost costs council councils count counting
countries countryside couple courage course courts cover coverage covered covid craft create
created creative credit crew cricket crisis critic critical criticism criticised critics crop crops
crowd crowds crown crucial cry cultural culture cup current currently customer customers cut cuts
cycle dad damaged dance danger dangerous dark data date daughter dead deadline deadly deaf dealing
deals dear debate debt debut decade decades december decide decided decisions declined decline deep
defeat defend defender defending deficit definitely degree delay delayed delays deliver delivery
demand democracy democrat democratic demonstrators deny departure depend deputy described
description design designed designer desire despite destroyed detention development developers
device devices diagnosis diet difference different digital dinner diplomat diplomatic diplomats
direct direction directly director directors disability disabled disaster discovered discovery
discrimination disease dismissed display dispute distance district divided division doctor doctors
document dog dogs domestic donald donations door doors double doubt drama dramatic draw drawing
dream dress drink drinking drive driven driver drivers driving drop dropped drought drug drugs dry
due dying earnings earth easily easy eat eating economy economist economists edge edition editor
education effect effective effects efficient efforts eight either elderly elected election electric
electricity element elite else emergency emissions emotional employees employers employment empty
enable encourage encouraged enemy energy enforcement engine engineers enjoy enormous enough ensure
enter entered entry equal equality equipment equivalent era error escape especially essential
establish established estate estimate estimates ethnic europe european evening events eventually
everyone everything exactly examination example excellent exercise exhibition exist existing exit
expansion expectations expensive experience experienced experiment expert experts explain explained
explains exposed exposure express extend extended extent extra extraordinary extreme extremely eye
eyes fabric facilities facility fact factory facts fail failed failing failure fair faith fall
fallen falling false families family famous fan fans fantastic farm farmers farming fashion fast
father fault favour favourite features february federal fee feed feel feeling fees fell fellow felt
female fence festival fewer fiction fierce fifth file files fill film films final finally finance
financial find finding fine finish finished fire firm firms fiscal fish fishing fit five fix flag
flat fled flight flights flood flooding floods floor flow flu fly focus folk follow food football
force forced forecast forest forests forever form formal formed forms fortune fossil fought found
fourth fraud free freedom freeze french fresh friday friend friends front fruit fuel fuels fun fund
funding funds future gallery game games gang gap garden gas gave gay gender generation generous
genetic genuine giant gift girl girls glass global goal goals god gold golf gone good goods
government governments governor grade grand grant grants great greater greatest green grew grid
ground grounds growing growth guard guests guidance guide guilty gun guns habitat half hall hand
handed hands hard hardly harm hate headline health healthy hear heard hearing heart heat heatwave
heavy height helicopter hidden high higher highest highly hill hire historic history hit hits
holiday holidays homeless homes honest hope hopes horror horse hospital hospitals host hostage
hostages hosts hot hotel hour house household households houses housing huge human humans hundreds
hunger hurt husband idea ideas identity illegal illness image images imagine immediate immediately
immigration impact imports impossible improve improvement incident include included income increase
increased increasingly independence independent index individual individuals industrial industry
inequality inflation influence inform information infrastructure initial injured injuries injury
inquiry inside insists inspector instead institute institutions insurance interest interests
interim internal internet investigate investment investors invest island islands issue item jail
january job jobs joined joint journalist journalists journey judge judges judgment july june junior
jury justice kept key kids kill kind king kingdom kitchen knew knife knowledge known labour lack
ladies lady lake lakes landlords landscape language large largely larger largest late launch
launched law lawmakers laws lawyer lawyers lead league learn learned learning least leave leaving
led legal legislation lender lenders less lesson let letter letters levels liberal licence life
light likely limit limits link list listen literally little live lived lives living loan loans
local locals location lockdown london longer look looked looking loss losses lost loud love loved
low luck lunch machine machines magazine mail maintain major majority make making male man manage
managed management manager managers manufacturing march margin marine mark market markets marriage
married mass massive match matches material matter matters mayor meal meals mean meaning means
measure measures meat medal medical medicine meeting memory men mental message middle midfielder
migrants migration mind minimum minor minority minute minutes missing mission mobile model modern
moment monday money monitor mood moon moral morning mortgage mortgages mother motion mountain mouth
movement movie moving mum murder museum music musical musician mystery name named names narrative
narrow national natural nature necessary need needed needs negative neighbours network never night
nine nobody normal northern note novel november number numbers nurse nurses object obvious occasion
ocean october offence offering office officer officers often old older olympic online open opened
operation opinion opportunity option options ordinary original others otherwise outbreak outcome
outside overall owner owners pace pacific package page paid pain paint pair pandemic panel paper
parent parents park part partner partners partly parts party pass passed passengers passion path
patient patients pattern pay paying payment payments peak penalty pension pensions people
percentage perfect perform performance perhaps period permanent person personal perspective phone
photograph photographs physical pick picture pieces pilot pitch plan planet planning plant plants
plastic play played player players playing plays plenty plot pocket poem poet point points poison
policies policy polite political politician politicians politics poll polls pollution pool poor pop
popular population portrait positive pound pounds poverty power powerful powers practice pregnant
premier premiership prepared presenter pressure pretty prevent previous previously price prices
pride primary prime prince principle priority prison prisoner prisoners prize probably problem
problems produce produced producer product production products profession professional professor
profit profits progress project projects promise promised promote proof proper properly property
proposal proposals proposed prosecutor prosecutors protect protection protest protesters protests
proud prove proved provider providers province pub published pull pupils purpose push put quality
quarter queen quick quickly quiet quite race racism radical radio raid raise range rank rapid
rarely rate rates rather reach reached read ready real reality realise really reasons recent
recently record recorded records recovery red reduce reduced referendum reform reforms refugee
refugees refused region regional regions regulator regulators rejected release relief religious
remain remained remember remote rent rents repair replace replaced reporter reports represent
representative republican request required rescue research researchers reserve residents resign
resignation resistance respect respond response responsibility responsible restaurant restrictions
return returned revealed revenue review rich ride right rights rise rising risk risks river road
roads rock room root rose round route routine row royal rugby ruling run runner running rural safe
safety salary same sample saturday saw scale scandal scheme schemes scholar school schools science
scientific scientist scientists score scored scotland screen sea season seat seats secretary seed
seem seemed seems seen select senate senator senior sense sent sentence sentenced september series
services settlement severe sex sexual shadow shame share shared shares sharp shock shooting shop
shops short shot shoulder showed shown shows side sight signs silence silver simple simply single
sister site sites size skills skin sky sleep slightly slow small smaller smart smoke social society
soft soil soldier soldiers solution somebody someone something sometimes son song songs sort sound
source sources south space speak speaker special species spend spending spent spirit split spoke
spokesperson sport sports spot spread spring staff stage stake stand standard standards star stars
start started starting state statements states status stay steel step stock stocks stone stood stop
stopped store stories storm story strategy street streets strength stress strike strikes striking
strong struck structure struggle student students studio study style subject succeed success
successful sudden suddenly suffer suffered suffering sugar suicide suit summer sun sunday
supermarket supermarkets supporters supreme sure surface surgery surprise surprising survey
survivors suspect suspected sustainable sweet swimming switch sympathy table taken taking talent
talk tall target targets tax taxes tea teacher teachers team teams tech temperature temperatures
temporary ten tenants tension tensions term terms terrible terror terrorism test tested testing
tests text thank theatre theme themselves theory thing things think thinking thought thousand
thousands threat threats thursday ticket tickets tight till title today together toll tomorrow
tonight top total touch tough tour tourism tourists toward towards track trade trading tradition
traditional traffic tragedy trail training transfer transition transport trap trauma travel
treasury treat treated treatment trees trend trial tribunal trip trouble truck true truly trust
truth try trying tuesday turn turning twice type typical ultimately unable uncle understand
understanding unemployment union unions unique unit universities university unknown unless unlikely
until unusual upon upset urban useful usual usually vaccine vaccines valley value values van
variety various version veteran victim victims victory video view views village villages violence
violent virus visible vision visitors voice vote voters votes wage wages wait waiting wake walk
walked walking wall walls want wanted wants warm warming warning watch water wave way ways wealth
wealthy wear weather website wedding wednesday weekend weight welfare whole wide widely wider wife
wild wildlife wind window windows wine winner winners winning winter woman women wonder wood word
words work worked worker workers working works worried worry worse worst worth wounded write writer
writing written wrong yard yes yesterday yet young younger youth zone
"""
)

# Named entities: (full form, short form). Short forms are what most mentions use; a few carry
# accents or typographic apostrophes so that folding and matching are exercised.
ENTITIES: list[tuple[str, str]] = [
    ("Vladimir Putin", "Putin"),
    ("Volodymyr Zelenskiy", "Zelenskiy"),
    ("Joe Biden", "Biden"),
    ("Rishi Sunak", "Sunak"),
    ("Keir Starmer", "Starmer"),
    ("Emmanuel Macron", "Macron"),
    ("Olaf Scholz", "Scholz"),
    ("Kim Jong-un", "Kim"),
    ("Xi Jinping", "Xi"),
    ("Narendra Modi", "Modi"),
    ("Luiz Inácio Lula da Silva", "Lula"),
    ("Benjamin Netanyahu", "Netanyahu"),
    ("Viktor Orbán", "Orbán"),
    ("Giorgia Meloni", "Meloni"),
    ("Pedro Sánchez", "Sánchez"),
    ("Ursula von der Leyen", "von der Leyen"),
    ("Donald Trump", "Trump"),
    ("Kamala Harris", "Harris"),
    ("Sergei Lavrov", "Lavrov"),
    ("Sergei Shoigu", "Shoigu"),
    ("Yevgeny Prigozhin", "Prigozhin"),
    ("Dmytro Kuleba", "Kuleba"),
    ("Alexei Navalny", "Navalny"),
    ("Dmitry Medvedev", "Medvedev"),
    ("Jeremy Hunt", "Hunt"),
    ("Suella Braverman", "Braverman"),
    ("Rachel Reeves", "Reeves"),
    ("Recep Tayyip Erdoğan", "Erdoğan"),
    ("Humza Yousaf", "Yousaf"),
    ("Mark Drakeford", "Drakeford"),
    ("Annalena Baerbock", "Baerbock"),
    ("Jens Stoltenberg", "Stoltenberg"),
    ("António Guterres", "Guterres"),
    ("Javier Milei", "Milei"),
    ("Andrés Manuel López Obrador", "López Obrador"),
    ("Cyril Ramaphosa", "Ramaphosa"),
    ("Anthony Albanese", "Albanese"),
    ("Justin Trudeau", "Trudeau"),
    ("Fumio Kishida", "Kishida"),
    ("Yoon Suk Yeol", "Yoon"),
    ("Alexander Lukashenko", "Lukashenko"),
    ("Ebrahim Raisi", "Raisi"),
    ("Mohammed bin Salman", "bin Salman"),
    ("Elon Musk", "Musk"),
    ("Mark Zuckerberg", "Zuckerberg"),
    ("Sam Altman", "Altman"),
    ("Greta Thunberg", "Thunberg"),
    ("Taylor Swift", "Swift"),
    ("Erling Haaland", "Haaland"),
    ("Mikel Arteta", "Arteta"),
    ("Pep Guardiola", "Guardiola"),
    ("Jürgen Klopp", "Klopp"),
    ("Kylian Mbappé", "Mbappé"),
    ("Novak Đoković", "Đoković"),
    ("Emma Răducanu", "Răducanu"),
    ("Björn Höcke", "Höcke"),
    ("Søren Kierkegaard", "Kierkegaard"),
    ("Gabriel Boric", "Boric"),
    ("Bola Tinubu", "Tinubu"),
    ("Abiy Ahmed", "Abiy"),
    ("Shehbaz Sharif", "Sharif"),
    ("Imran Khan", "Khan"),
    ("Sheikh Hasina", "Hasina"),
    ("Prabowo Subianto", "Prabowo"),
    ("Ferdinand Marcos Jr", "Marcos"),
    ("Lai Ching-te", "Lai"),
    ("Tsai Ing-wen", "Tsai"),
    ("Nicolás Maduro", "Maduro"),
    ("Gustavo Petro", "Petro"),
    ("Claudia Sheinbaum", "Sheinbaum"),
    ("Volker Türk", "Türk"),
    ("Kateryna Tarnavskiy", "Tarnavskiy"),
    ("Oleksii Reznikov", "Reznikov"),
    ("Hanna Maliar", "Maliar"),
    ("Sergei Surovikin", "Surovikin"),
    ("Valery Gerasimov", "Gerasimov"),
]

# Places and organisations, mentioned like common nouns but capitalised.
PLACES = _words(
    """
Ukraine Russia Kyiv Moscow Kremlin Crimea Bakhmut Kherson Donetsk Luhansk Zaporizhzhia Odesa
Kharkiv Belgorod Minsk Warsaw Berlin Paris Brussels Rome Madrid Lisbon Athens Ankara Istanbul
Tehran Baghdad Damascus Beirut Gaza Jerusalem Cairo Riyadh Doha Delhi Mumbai Karachi Kabul Beijing
Shanghai Taipei Tokyo Seoul Pyongyang Vladivostok Manila Jakarta Sydney Canberra Washington Ottawa
Mexico Brasília Buenos Aires Santiago Lagos Nairobi Johannesburg London Manchester Glasgow
Edinburgh Cardiff Belfast Dublin Westminster Whitehall Downing Nato EU UN Europe Africa Asia
America Britain Scotland Wales Ireland France Germany Italy Spain Poland Hungary Turkey Israel Iran
China India Japan Brazil Argentina Canada Australia Wagner Hamas Hezbollah Ofgem Ofsted NHS BBC IMF
OECD Opec Tesla Google Apple Amazon Microsoft Meta Labour Tories Conservatives Democrats
Republicans Commons Lords Senate Congress Parliament
"""
)

FIRST_NAMES = _words(
    """
Pjotr Shaun Luke Andrew Julian Peter Dan Patrick Jessica Helena Emma Fiona Jon Jason Aubrey Rajeev
Toby Heather Pippa Lorenzo Angelique Ashifa Hannah Aletha Rowena Larry Graeme Kalyeena Philip
Jennifer Daniel Tom Sam Amelia Nadeem Hibaq Jamie Archie Alex Sarah Jane Rachel Richard Kevin Mark
Nicola Ben Anna Martin Jakub Lisa Chris Caroline Rob Haroon Zoe Michael Rory Ruth Damien
"""
)

LAST_NAMES = _words(
    """
Sauer Walker Harding Roth Borger Wintour Sabbagh Holmes Elgot Smith Rankin Davies Henley Harvey
Allegretti Stewart McCurry Hunter Giuffrida Chrisafis Kassam Gecsoyler Farah Syal Topping Elliott
Carrell Oltermann Connolly Lawrence Wolfson Ambrose Weaver Helm Conn Carroll Mason Milmo Makortoff
Inman Partington Jolly Butler Adams Perraudin Gayle Quinn Marsh Bowcott Tondo Ratcliffe Mead
Siddique Hern Dodd Meredith Crerar Sweney Gentleman Mohdin Pegg Otte
"""
)

# (slug, channel title) for each feed; a feed's slug is its URL section and file name.
SECTIONS: list[tuple[str, str]] = [
    ("world", "World news | The Guardian"),
    ("uk-news", "UK news | The Guardian"),
    ("politics", "Politics | The Guardian"),
    ("business", "Business | The Guardian"),
    ("environment", "Environment | The Guardian"),
    ("science", "Science | The Guardian"),
    ("technology", "Technology | The Guardian"),
    ("sport", "Sport | The Guardian"),
    ("culture", "Culture | The Guardian"),
    ("society", "Society | The Guardian"),
]

# Category names per section (the first becomes the <category> most items carry).
CATEGORIES: dict[str, list[str]] = {
    "world": ["World news", "Russia", "Ukraine", "Europe", "Middle East", "Asia Pacific"],
    "uk-news": ["UK news", "Police", "Housing", "Transport", "Scotland", "Wales"],
    "politics": ["Politics", "Labour", "Conservatives", "Brexit", "Foreign policy"],
    "business": ["Business", "Economics", "Banking", "Retail", "Energy industry"],
    "environment": ["Environment", "Climate crisis", "Wildlife", "Pollution", "Energy"],
    "science": ["Science", "Space", "Medical research", "Physics", "Biology"],
    "technology": ["Technology", "Artificial intelligence (AI)", "Social media", "Internet"],
    "sport": ["Sport", "Football", "Cricket", "Tennis", "Rugby union", "Athletics"],
    "culture": ["Culture", "Film", "Music", "Books", "Television", "Art and design"],
    "society": ["Society", "Health", "NHS", "Social care", "Homelessness", "Charities"],
}
