"""The two seed notices, rendered from their policies: every fact the published notice states is
in the Finnish notice, and every language has the same accessible, printable outline."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import ORIGIN, ROOT, SECRET

KONEYRITTAJAT_FACTS = [
    # controller, business ID, contacts
    "Koneyrittäjät ry",
    "0201722-8",
    "Päivi Löppönen",
    "paivi.lopponen@koneyrittajat.fi",
    "Sitratie 7",
    "00420 Helsinki",
    "040 900 9410",
    "Finnmetko Oy",
    "8.30–16.00",
    "Arvi Kariston katu 7",
    "13100 Hämeenlinna",
    "040 9009 419",
    "etunimi.sukunimi@koneyrittajat.fi",
    # purposes and bases
    "Henkilötietojen käsittely perustuu jäsenyyteen, asiakkuuteen, sopimussuhteeseen",
    "mielipide- ja markkinatutkimukset",
    # data given, observed, derived, by context
    "TES-ala, työala, pääasiallinen asiakastaho",
    "arvonta- ja kilpailuvastaustiedot",
    "luottotieto-, sähköpostimarkkinointi-, palkkaus-",
    "koneoppimisen tai tekoälyn",
    "KL-mobiilisovelluksen",
    "Tapahtumailmoittautumisen",
    "Sähköisen jäsenkirjeen",
    "Asiakaskirjeen tilaamisen",
    "tallennetaan myös IP-osoitteita markkinointiviestintää varten",
    # cookies and analytics
    "Google Analytics",
    "Koneyrittäjät ry ei saa Google Analyticsin kautta tietoa käyttäjän IP-osoitteesta",
    "Kerätyt tiedot ja Matomo-sovellus säilytetään Koneyrittäjät ry:n omalla palvelimella "
    "eikä raakatietoja jaeta kolmansille osapuolille",
    "Ekstranetin",
    "Facebook",
    "Twitter",
    "Instagram",
    "LinkedIn",
    "YouTube",
    "_pk_id.*",
    # recipients and processors
    "verottajalle",
    "Koneyrittäjät-konserni",
    "Alihankkijat",
    "Kaikkien yhteistyökumppaneiden kanssa solmitaan kirjallinen sopimus",
    "tieteellistä tai historiallista tutkimusta",
    # transfers, security, retention
    "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
    "tietomurtoja ja palvelunestohyökkäyksiä vastaan",
    "TLS-salattua HTTPS-yhteyttä",
    "palomuurilla",
    "salassapitovelvollisuus",
    "vähintään asiakassuhteen keston ajan",
    "kirjanpito- tai muuta pakottavaa lainsäädäntöä",
    # rights as published
    "Tietojen tarkastaminen, korjaaminen ja poistaminen",
    "Suoramarkkinoinnin kielto-oikeus",
    "Vastustamisoikeus ja käsittelyn rajoittaminen",
    "Suostumuksen peruuttaminen",
    "Valitusoikeus",
    # supervisory authority
    "Tietosuojavaltuutetun toimisto",
    "Ratapihantie 9, 6. krs, 00520 Helsinki",
    "PL 800, 00521 Helsinki",
    "029 56 66700",
    "tietosuoja@om.fi",
]

KAUSTISEN_SEUTUKUNTA_FACTS = [
    "Päivitetty 21.10.2021",
    "2021-10-21",
    # controller and contact
    "Lestijärven kunta",
    "Kaustisen seutukunta",
    "Lestintie 39, 69440 Lestijärvi",
    "info@kaustisenseutu.fi",
    "Petri Jylhä",
    # data and sources
    "syntymäaika",
    "profiilitiedot",
    "sosiaalisen median ja verkkosivujen kävijätilastojen analytiikan avulla",
    "PRH:n julkaisemien listojen mukaan",
    "www.kaustisenseutu.fi",
    "julkisesti saatavilla olevaa tietoa",
    # purposes
    "vastataksemme pyyntöihisi",
    "sähköisesti toteutettavaan markkinointiin",
    # recipients and processors
    "Kaustisen seutukunta ei myy henkilötietojasi",
    "elinkeinotoiminnan kehittämiseen",
    "anonymisoituja, koottuja tilastotietoja",
    "Intuit Mailchimp",
    # registers and systems in use
    "Kosila",
    "KPKuntaraha",
    "MailChimp",
    "Questback",
    "Eura",
    "Hyrrä",
    "Reportronic",
    "KaseSoft",
    "Visma Sign",
    "Teams",
    "Zoom",
    "Forms",
    "paperiaineisto",
    # transfers
    "Privacy Shield",
    "C-311/18",
    "Tietoja voidaan siirtää Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
    # security and retention
    "palomuurein, salasanoin",
    "lukituissa tiloissa",
    "ellei tietojen säilyttäminen tätä pidempään ole lain edellyttämä",
    # rights as published
    "kirjallinen ja allekirjoitettu",
    "automatisoidun päätöksen",
    "tietosuojaviranomaisen tutkittavaksi",
    # supervisory authority
    "Tietosuojavaltuutetun toimisto",
    "PL 800, 00521 Helsinki",
]

# Everything the notice must say about the rights on this gateway, in Finnish.
RIGHTS_FI = [
    "Oikeus saada pääsy tietoihin",
    "Oikeus tietojen oikaisemiseen",
    "Oikeus tietojen poistamiseen",
    "Oikeus siirtää tiedot järjestelmästä toiseen",
    "Oikeus kieltää suoramarkkinointi",
    "Vastustamisoikeus ja oikeus käsittelyn rajoittamiseen",
    "Oikeus peruuttaa suostumus",
    "Oikeus tehdä valitus valvontaviranomaiselle",
    "suostumustallenteet säilytetään suostumuksen todisteena ilman IP-osoitetta ja selaintietoa",
]

HEADINGS = {
    "fi": [
        "Rekisterinpitäjä ja yhteystiedot",
        "Käsittelyn tarkoitukset ja oikeusperusteet",
        "Käsiteltävät henkilötiedot",
        "Tietolähteet",
        "Vastaanottajat ja henkilötietojen käsittelijät",
        "Tietojen siirto EU:n ja ETA:n ulkopuolelle",
        "Evästeet ja analytiikka",
        "Säilytysajat",
        "Tietoturva",
        "Oikeutesi ja niiden käyttäminen",
        "Valvontaviranomainen",
        "Muutoshistoria",
    ],
    "sv": [
        "Personuppgiftsansvarig och kontaktuppgifter",
        "Ändamål och rättslig grund för behandlingen",
        "Personuppgifter som behandlas",
        "Varifrån uppgifterna kommer",
        "Mottagare och personuppgiftsbiträden",
        "Överföring av uppgifter utanför EU och EES",
        "Kakor och analys",
        "Lagringstider",
        "Datasäkerhet",
        "Dina rättigheter och hur du använder dem",
        "Tillsynsmyndighet",
        "Ändringshistorik",
    ],
    "en": [
        "Controller and contact details",
        "Purposes and legal bases of processing",
        "Personal data processed",
        "Sources of the data",
        "Recipients and processors",
        "Transfers outside the EU and EEA",
        "Cookies and analytics",
        "Retention periods",
        "Security",
        "Your rights and how to use them",
        "Supervisory authority",
        "Change history",
    ],
}
RIGHTS = {
    "sv": [
        "Rätt till tillgång",
        "Rätt till rättelse",
        "Rätt till radering",
        "Rätt till dataportabilitet",
        "Rätt att förbjuda direktmarknadsföring",
        "Rätt att invända och rätt till begränsning av behandlingen",
        "Rätt att återkalla samtycke",
        "Rätt att lämna klagomål till tillsynsmyndigheten",
    ],
    "en": [
        "Right of access",
        "Right to rectification",
        "Right to erasure",
        "Right to data portability",
        "Right to object to direct marketing",
        "Right to object and to restriction of processing",
        "Right to withdraw consent",
        "Right to lodge a complaint with the supervisory authority",
    ],
}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("seeds")
    settings = Settings(
        policies_dir=ROOT / "policies",
        db_url=f"sqlite:///{tmp}/n.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        yield client


def text_of(page: str) -> str:
    """The page's visible text with whitespace normalised (tags become spaces)."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def notice(client: TestClient, site: str, lang: str) -> str:
    response = client.get(f"/privacy/{site}", params={"lang": lang})
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize(
    ("site", "facts"),
    [
        ("koneyrittajat", KONEYRITTAJAT_FACTS + RIGHTS_FI),
        ("kaustisen-seutukunta", KAUSTISEN_SEUTUKUNTA_FACTS + RIGHTS_FI),
    ],
)
def test_every_fact_of_the_seed_is_in_the_finnish_notice(
    shipped: TestClient, site: str, facts: list[str]
) -> None:
    text = text_of(notice(shipped, site, "fi"))
    missing = [fact for fact in facts if " ".join(fact.split()) not in text]
    assert not missing


def test_the_seeds_published_text_is_not_lost(shipped: TestClient) -> None:
    """Every paragraph of the published Kaustinen notice's record A-J survives, verbatim."""
    text = text_of(notice(shipped, "kaustisen-seutukunta", "fi"))
    for heading in "ABCDEFGHIJ":
        assert re.search(rf"\b{heading}\. \w", text), heading


@pytest.mark.parametrize("site", ["koneyrittajat", "kaustisen-seutukunta", "demo"])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_language_has_the_whole_outline(shipped: TestClient, site: str, lang: str) -> None:
    page = notice(shipped, site, lang)
    outline = Outline.of(page)
    assert outline.lang == lang
    h2 = [text for level, text in outline.headings if level == 2]
    for heading in HEADINGS[lang]:
        assert heading in h2, heading
    text = text_of(page)
    for right in RIGHTS.get(lang, RIGHTS_FI[:8]):
        assert right in text, right
    assert f"/privacy/{site}/my-data?lang={lang}" in page
    assert f"/privacy/{site}/versions?lang={lang}" in page
    assert "<code>gw_consent</code>" in page  # the cookie declaration


@pytest.mark.parametrize("site", ["koneyrittajat", "kaustisen-seutukunta"])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_notice_is_accessible(shipped: TestClient, site: str, lang: str) -> None:
    outline = Outline.of(notice(shipped, site, lang))
    assert {"header", "main", "nav"} <= outline.landmarks
    levels = [level for level, _ in outline.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), "skipped level"
    assert outline.th_without_scope == 0
    assert outline.tables and all(outline.tables)  # every table has header cells
    assert len(outline.ids) == len(set(outline.ids)), "duplicate ids"
    assert outline.missing_targets() == set()


def test_notice_is_printable(shipped: TestClient) -> None:
    page = notice(shipped, "koneyrittajat", "fi")
    css = re.search(r"@media print\{(.*?)\n\}", page, re.S)
    assert css is not None
    assert "nav{display:none}" in css.group(1).replace("header,nav", "nav")
    assert 'a[href^="http"]::after{content:" <" attr(href) ">"' in css.group(1)
    # Links the reader may want on paper are absolute, so the printed address works.
    assert 'href="http://127.0.0.1:8000/privacy/koneyrittajat/my-data?lang=fi"' in page


def test_rights_say_where_each_is_used(shipped: TestClient) -> None:
    page = notice(shipped, "koneyrittajat", "en")
    rights = page[page.index('id="rights"') : page.index('id="authority"')]
    assert rights.count("/privacy/koneyrittajat/my-data?lang=en") == 5
    assert 'href="#controller"' in rights and 'href="#authority"' in rights
    assert "consent records are kept as proof of consent without IP address and browser" in rights


def test_legal_bases_and_cookie_parties_come_from_the_policy(shipped: TestClient) -> None:
    text = text_of(notice(shipped, "koneyrittajat", "en"))
    assert "Legal obligation (Art. 6(1)(c))" in text  # the consent record itself
    assert "Analytics: We follow the traffic" in text  # optional category -> consent
    assert "Koneyrittäjät ry (first party)" in text
    assert "Google (third party)" in text
    assert "Web analytics data is deleted after 395 days." in text  # [retention] default


def test_a_policy_without_structured_facts_still_renders_every_part(tmp_path: Path) -> None:
    from tests.conftest import write_site

    policies = tmp_path / "p"
    policies.mkdir()
    text = write_site(policies, "demo", 1).read_text(encoding="utf-8")
    start = text.index("\n[[notice.purposes]]")
    end = text.index("\n[[notice.sections]]")
    (policies / "demo.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{tmp_path}/n.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        page = notice(client, "demo", "en")
    h2 = [t for level, t in Outline.of(page).headings if level == 2]
    assert "Your rights and how to use them" in h2
    assert "Supervisory authority" not in h2  # nothing to say: no empty heading
    assert "Transfers outside the EU and EEA" not in h2


class Outline(HTMLParser):
    """What an accessibility check reads from a page: lang, landmarks, headings, tables."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.landmarks: set[str] = set()
        self.headings: list[tuple[int, str]] = []
        self.tables: list[bool] = []
        self.th_without_scope = 0
        self.ids: list[str] = []
        self.targets: set[str] = set()
        self._heading: int | None = None
        self._text: list[str] = []
        self._in_thead = False

    @classmethod
    def of(cls, page: str) -> Outline:
        parser = cls()
        parser.feed(page)
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag in ("header", "main", "nav", "footer"):
            self.landmarks.add(tag)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        href = values.get("href") or ""
        if href.startswith("#"):
            self.targets.add(href[1:])
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = int(tag[1]), []
        if tag == "table":
            self.tables.append(False)
        if tag == "th":
            if self.tables:
                self.tables[-1] = True
            if values.get("scope") not in ("col", "row"):
                self.th_without_scope += 1

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text.append(data)

    def missing_targets(self) -> set[str]:
        return self.targets - set(self.ids)
