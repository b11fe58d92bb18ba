"""The privacy notice's own words in Finnish, Swedish and English: headings and generated text.

The policy supplies the facts; these are the sentences that present them, so every site's
notice has the same outline in the same words. A language without its own entry gets English.
``{placeholders}`` are filled by ``gateway.privacy.notice`` with values from the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

Wording = Mapping[str, str]

_FI: Final[dict[str, str]] = {
    "notice": "Tietosuojaseloste",
    "contents": "Sisällys",
    "languages": "Kieli",
    "version": "Versio",
    "updated": "Päivitetty",
    # outline headings
    "controller": "Rekisterinpitäjä ja yhteystiedot",
    "purposes": "Käsittelyn tarkoitukset ja oikeusperusteet",
    "data": "Käsiteltävät henkilötiedot",
    "sources": "Tietolähteet",
    "recipients": "Vastaanottajat ja henkilötietojen käsittelijät",
    "transfers": "Tietojen siirto EU:n ja ETA:n ulkopuolelle",
    "cookies": "Evästeet ja analytiikka",
    "retention": "Säilytysajat",
    "security": "Tietoturva",
    "rights": "Oikeutesi ja niiden käyttäminen",
    "authority": "Valvontaviranomainen",
    "changes": "Muutoshistoria",
    "more": "Lisätietoja",
    # controller
    "business_id": "Y-tunnus",
    "address": "Osoite",
    "phone": "Puhelin",
    "email": "Sähköposti",
    "privacy_contact": "Henkilötietoja koskevat yhteydenotot",
    # purposes
    "purpose": "Tarkoitus",
    "legal_basis": "Oikeusperuste",
    "purpose_category": "{title}: {description}",
    "purpose_consent_record": (
        "Evästevalintasi tallentaminen ja suostumuksen osoittaminen (tietosuoja-asetuksen "
        "7 artiklan 1 kohta)"
    ),
    "basis.consent": "Suostumus (tietosuoja-asetuksen 6 art. 1 a)",
    "basis.contract": "Sopimus (6 art. 1 b)",
    "basis.legal_obligation": "Lakisääteinen velvoite (6 art. 1 c)",
    "basis.vital_interests": "Elintärkeä etu (6 art. 1 d)",
    "basis.public_task": "Yleinen etu tai julkinen valta (6 art. 1 e)",
    "basis.legitimate_interests": "Oikeutettu etu (6 art. 1 f)",
    # data
    "given": "Itse antamasi tiedot",
    "observed": "Verkkopalvelun käytöstä havainnoidut tiedot",
    "derived": "Analytiikan avulla johdetut tiedot",
    "observed_analytics": (
        "Verkkoanalytiikka, vain suostumuksellasi: katsotut sivut ja ajankohdat, sivusto, jolta "
        "saavuit, selain, käyttöjärjestelmä, laitetyyppi, maa sekä IP-osoite lyhennettynä"
    ),
    "observed_anonymous": (
        "Ilman suostumusta vain anonyymi sivulaskenta: sivun osoite ilman parametreja, maa ja "
        "laitetyyppi, ei IP-osoitetta eikä tunnistetta"
    ),
    "observed_consent": (
        "Evästevalintasi: valitut ja hylätyt kategoriat, ajankohta, selosteen versio, kieli "
        "sekä lyhennetty IP-osoite ja selaimen nimi"
    ),
    # sources
    "source_browser": (
        "Selaimesi, kun käytät sivustoa: analytiikkatiedot vain suostumuksellasi, "
        "evästevalintasi aina"
    ),
    # recipients
    "recipient": "Vastaanottaja",
    "processor": "Käsittelijä",
    "role": "Rooli",
    "location": "Sijainti",
    "third_parties": (
        "Evästeselosteen kolmansien osapuolten palvelut saavat tietoja selaimestasi vain, kun "
        "sallit niiden kategorian:"
    ),
    "no_recipients": "Tietoja ei luovuteta eteenpäin.",
    # transfers
    "transfers_none": (
        "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle."
    ),
    "transfers_some": (
        "Tietoja voidaan siirtää Euroopan unionin tai Euroopan talousalueen ulkopuolelle."
    ),
    # cookies
    "cookie_intro": (
        "Tämä evästeseloste muodostetaan samasta tiedostosta, jonka mukaan evästebanneri estää "
        "evästeet ja palvelut ennen suostumusta, joten ne vastaavat aina toisiaan."
    ),
    "required": "aina käytössä",
    "optional": "vain suostumuksella",
    "service": "Palvelu",
    "provider": "Palveluntarjoaja",
    "cookie_names": "Evästeet",
    "lifetime": "Säilytysaika",
    "party": "Osapuoli",
    "first_party": "ensimmäinen osapuoli",
    "third_party": "kolmas osapuoli",
    # retention
    "retention_choice": (
        "Evästevalintasi on voimassa {days} päivää, minkä jälkeen kysymme sitä uudelleen."
    ),
    "retention_hits": "Verkkoanalytiikan tiedot poistetaan {days} päivän kuluttua.",
    "retention_consents": (
        "Suostumustallenteet säilytetään {days} päivää suostumuksen osoittamiseksi."
    ),
    "retention_audit": (
        "Loki henkilötietojen katselusta, viennistä ja poistosta säilytetään {days} päivää."
    ),
    "retention_cookies": "Kunkin evästeen säilytysaika on evästeselosteessa.",
    # security
    "security_ip": (
        "IP-osoite lyhennetään ennen kuin mitään tallennetaan: siitä poistetaan {n} viimeistä "
        "tavua (IPv6-osoitteesta vastaava osa)."
    ),
    "security_drop": "Verkkoanalytiikan tietoja tallennetaan vain suostumuksellasi.",
    "security_anonymous": (
        "Ilman suostumusta tallennetaan vain anonyymejä sivulaskentoja ilman IP-osoitetta."
    ),
    "security_chain": (
        "Suostumustallenteet on ketjutettu SHA-256-tiivisteillä, joten muutettu tai poistettu "
        "tallenne havaitaan."
    ),
    # rights
    "rights_intro": "Voit käyttää oikeuksiasi näin:",
    "my_data": "Omat tietoni",
    "bytes_removed": "{n} viimeistä tavua poistettu",
    "right.access": "Oikeus saada pääsy tietoihin",
    "right.access.how": (
        "Näet tästä selaimesta tallennetut analytiikkatiedot ja suostumustallenteet Omat "
        "tietoni -sivulla. Muista tiedoista voit pyytää rekisterinpitäjältä."
    ),
    "right.rectification": "Oikeus tietojen oikaisemiseen",
    "right.rectification.how": (
        "Pyydä rekisterinpitäjää korjaamaan tai täydentämään virheelliset tai puutteelliset "
        "tietosi."
    ),
    "right.erasure": "Oikeus tietojen poistamiseen",
    "right.erasure.how": (
        "Poista tämän selaimen analytiikkatiedot Omat tietoni -sivulla. Poisto poistaa "
        "analytiikkatiedot (sivunkatselut ja käynnit); suostumustallenteet säilytetään "
        "suostumuksen todisteena ilman IP-osoitetta ja selaintietoa. Muiden tietojen poistoa "
        "voit pyytää rekisterinpitäjältä."
    ),
    "right.portability": "Oikeus siirtää tiedot järjestelmästä toiseen",
    "right.portability.how": (
        "Lataa analytiikkatietosi ja suostumustallenteesi JSON-tiedostona Omat tietoni "
        "-sivulla. Itse antamiesi tietojen siirtoa voit pyytää rekisterinpitäjältä."
    ),
    "right.direct_marketing": "Oikeus kieltää suoramarkkinointi",
    "right.direct_marketing.how": (
        "Voit milloin tahansa kieltää tietojesi käytön suoramarkkinointiin ilmoittamalla "
        "siitä rekisterinpitäjälle."
    ),
    "right.objection": "Vastustamisoikeus ja oikeus käsittelyn rajoittamiseen",
    "right.objection.how": (
        "Voit vastustaa verkkoanalytiikkaa milloin tahansa Omat tietoni -sivulla tai "
        "evästeasetuksissa, jolloin mitään ei enää tallenneta. Oikeutettuun etuun perustuvan "
        "muun käsittelyn vastustamista tai käsittelyn rajoittamista voit pyytää "
        "rekisterinpitäjältä."
    ),
    "right.withdrawal": "Oikeus peruuttaa suostumus",
    "right.withdrawal.how": (
        "Peruuta tai muuta suostumuksesi milloin tahansa evästeasetuksista (asetuspainike "
        "sivuston jokaisella sivulla) tai Omat tietoni -sivulla. Peruuttaminen ei vaikuta "
        "sitä ennen tehdyn käsittelyn lainmukaisuuteen."
    ),
    "right.complaint": "Oikeus tehdä valitus valvontaviranomaiselle",
    "right.complaint.how": (
        "Jos katsot, että tietojasi käsitellään lainvastaisesti, voit tehdä valituksen "
        "valvontaviranomaiselle."
    ),
    "contact_controller": "Rekisterinpitäjän yhteystiedot",
    "authority_contacts": "Valvontaviranomaisen yhteystiedot",
    # authority
    "visiting_address": "Käyntiosoite",
    "postal_address": "Postiosoite",
    "switchboard": "Vaihde",
    "website": "Verkkosivut",
    # changes
    "date": "Päivämäärä",
    "change": "Muutos",
    "this_version": "Tämä versio: {version}, tiiviste {hash}.",
    "all_versions": "Kaikki tämän selosteen versiot",
    "version_page": "Näytä tämä versio",
    # versions
    "versions_title": "Selosteen versiot",
    "versions_intro": (
        "Jokainen suostumustallenne sisältää sen selosteen tiivisteen (SHA-256), jonka "
        "mukaan suostumus annettiin. Tällä sivulla on jokainen versio, jota on käytetty."
    ),
    "first_served": "Käytössä alkaen",
    "hash": "Tiiviste (SHA-256)",
    "banner_texts": "Evästebannerin tekstit",
    "first_layer": "Ensimmäinen näkymä",
    "settings_layer": "Asetukset",
    "categories": "Kategoriat",
    "archived": (
        "Tämä on selosteen versio {version} sellaisena kuin se oli käytössä {first_served} "
        "alkaen. Voimassa oleva seloste:"
    ),
    "unreadable": (
        "Tätä versiota ei voi enää esittää selosteena; alla on sen alkuperäinen teksti."
    ),
    "source": "Alkuperäinen tiedosto",
}

_SV: Final[dict[str, str]] = {
    "notice": "Dataskyddsbeskrivning",
    "contents": "Innehåll",
    "languages": "Språk",
    "version": "Version",
    "updated": "Uppdaterad",
    "controller": "Personuppgiftsansvarig och kontaktuppgifter",
    "purposes": "Ändamål och rättslig grund för behandlingen",
    "data": "Personuppgifter som behandlas",
    "sources": "Varifrån uppgifterna kommer",
    "recipients": "Mottagare och personuppgiftsbiträden",
    "transfers": "Överföring av uppgifter utanför EU och EES",
    "cookies": "Kakor och analys",
    "retention": "Lagringstider",
    "security": "Datasäkerhet",
    "rights": "Dina rättigheter och hur du använder dem",
    "authority": "Tillsynsmyndighet",
    "changes": "Ändringshistorik",
    "more": "Mer information",
    "business_id": "FO-nummer",
    "address": "Adress",
    "phone": "Telefon",
    "email": "E-post",
    "privacy_contact": "Kontakt i frågor om personuppgifter",
    "purpose": "Ändamål",
    "legal_basis": "Rättslig grund",
    "purpose_category": "{title}: {description}",
    "purpose_consent_record": (
        "Att spara ditt kakval och visa att samtycke har getts (artikel 7.1 i "
        "dataskyddsförordningen)"
    ),
    "basis.consent": "Samtycke (art. 6.1 a i dataskyddsförordningen)",
    "basis.contract": "Avtal (art. 6.1 b)",
    "basis.legal_obligation": "Rättslig förpliktelse (art. 6.1 c)",
    "basis.vital_interests": "Grundläggande intressen (art. 6.1 d)",
    "basis.public_task": "Allmänt intresse eller myndighetsutövning (art. 6.1 e)",
    "basis.legitimate_interests": "Berättigat intresse (art. 6.1 f)",
    "given": "Uppgifter du själv lämnar",
    "observed": "Uppgifter som observeras när du använder webbtjänsten",
    "derived": "Uppgifter som härleds med hjälp av analys",
    "observed_analytics": (
        "Webbanalys, endast med ditt samtycke: visade sidor och tidpunkter, webbplatsen du kom "
        "från, webbläsare, operativsystem, enhetstyp, land och IP-adressen i förkortad form"
    ),
    "observed_anonymous": (
        "Utan samtycke endast anonym sidräkning: sidans adress utan parametrar, land och "
        "enhetstyp, ingen IP-adress och ingen identifierare"
    ),
    "observed_consent": (
        "Ditt kakval: godkända och avvisade kategorier, tidpunkt, beskrivningens version, språk "
        "samt förkortad IP-adress och webbläsarens namn"
    ),
    "source_browser": (
        "Din webbläsare när du använder webbplatsen: analysuppgifter endast med ditt samtycke, "
        "ditt kakval alltid"
    ),
    "recipient": "Mottagare",
    "processor": "Personuppgiftsbiträde",
    "role": "Roll",
    "location": "Plats",
    "third_parties": (
        "Tredje parters tjänster i kakdeklarationen får uppgifter från din webbläsare endast "
        "när du tillåter deras kategori:"
    ),
    "no_recipients": "Uppgifterna lämnas inte ut vidare.",
    "transfers_none": (
        "Uppgifterna överförs inte utanför Europeiska "
        "unionen eller Europeiska ekonomiska samarbetsområdet."
    ),
    "transfers_some": (
        "Uppgifterna kan överföras utanför Europeiska "
        "unionen eller Europeiska ekonomiska samarbetsområdet."
    ),
    "cookie_intro": (
        "Denna kakdeklaration skapas ur samma fil som styr vilka kakor och tjänster "
        "kakbannern blockerar före samtycke, så de stämmer alltid överens."
    ),
    "required": "alltid i bruk",
    "optional": "endast med samtycke",
    "service": "Tjänst",
    "provider": "Leverantör",
    "cookie_names": "Kakor",
    "lifetime": "Lagringstid",
    "party": "Part",
    "first_party": "första part",
    "third_party": "tredje part",
    "retention_choice": "Ditt kakval gäller i {days} dagar, därefter frågar vi på nytt.",
    "retention_hits": "Uppgifter från webbanalysen raderas efter {days} dagar.",
    "retention_consents": "Samtyckesposter sparas i {days} dagar för att visa samtycket.",
    "retention_audit": (
        "Loggen över visning, export och radering av personuppgifter sparas i {days} dagar."
    ),
    "retention_cookies": "Varje kakas lagringstid finns i kakdeklarationen.",
    "security_ip": (
        "IP-adressen förkortas innan något sparas: de sista {n} byten tas bort (för IPv6 "
        "motsvarande del)."
    ),
    "security_drop": "Uppgifter från webbanalysen sparas endast med ditt samtycke.",
    "security_anonymous": "Utan samtycke sparas endast anonyma sidräkningar utan IP-adress.",
    "security_chain": (
        "Samtyckesposterna är länkade med SHA-256-hashvärden, så en ändrad eller raderad post "
        "upptäcks."
    ),
    "rights_intro": "Så här använder du dina rättigheter:",
    "my_data": "Mina uppgifter",
    "bytes_removed": "de sista {n} byten borttagna",
    "right.access": "Rätt till tillgång",
    "right.access.how": (
        "Du ser de analysuppgifter och samtyckesposter som sparats från denna webbläsare på "
        "sidan Mina uppgifter. Om andra uppgifter kan du fråga den personuppgiftsansvarige."
    ),
    "right.rectification": "Rätt till rättelse",
    "right.rectification.how": (
        "Be den personuppgiftsansvarige rätta eller komplettera felaktiga eller ofullständiga "
        "uppgifter om dig."
    ),
    "right.erasure": "Rätt till radering",
    "right.erasure.how": (
        "Radera denna webbläsares analysuppgifter på sidan Mina uppgifter. Raderingen tar bort "
        "analysuppgifterna (sidvisningar och besök); samtyckesposterna sparas som bevis på "
        "samtycket utan IP-adress och webbläsaruppgift. Radering av andra uppgifter kan du "
        "begära av den personuppgiftsansvarige."
    ),
    "right.portability": "Rätt till dataportabilitet",
    "right.portability.how": (
        "Ladda ner dina analysuppgifter och samtyckesposter som en JSON-fil på sidan Mina "
        "uppgifter. Överföring av uppgifter du själv lämnat kan du begära av den "
        "personuppgiftsansvarige."
    ),
    "right.direct_marketing": "Rätt att förbjuda direktmarknadsföring",
    "right.direct_marketing.how": (
        "Du kan när som helst förbjuda att dina uppgifter används för direktmarknadsföring "
        "genom att meddela den personuppgiftsansvarige."
    ),
    "right.objection": "Rätt att invända och rätt till begränsning av behandlingen",
    "right.objection.how": (
        "Du kan när som helst invända mot webbanalysen på sidan Mina uppgifter eller i "
        "kakinställningarna, och då sparas inget mer. Invändning mot annan behandling som "
        "grundar sig på berättigat intresse, eller begränsning av behandlingen, kan du begära "
        "av den personuppgiftsansvarige."
    ),
    "right.withdrawal": "Rätt att återkalla samtycke",
    "right.withdrawal.how": (
        "Återkalla eller ändra ditt samtycke när som helst i kakinställningarna "
        "(inställningsknappen på varje sida av webbplatsen) eller på sidan Mina uppgifter. "
        "Återkallelsen påverkar inte lagligheten av behandlingen dessförinnan."
    ),
    "right.complaint": "Rätt att lämna klagomål till tillsynsmyndigheten",
    "right.complaint.how": (
        "Om du anser att dina uppgifter behandlas i strid med lagen kan du lämna ett klagomål "
        "till tillsynsmyndigheten."
    ),
    "contact_controller": "Den personuppgiftsansvariges kontaktuppgifter",
    "authority_contacts": "Tillsynsmyndighetens kontaktuppgifter",
    "visiting_address": "Besöksadress",
    "postal_address": "Postadress",
    "switchboard": "Växel",
    "website": "Webbplats",
    "date": "Datum",
    "change": "Ändring",
    "this_version": "Denna version: {version}, hashvärde {hash}.",
    "all_versions": "Alla versioner av denna beskrivning",
    "version_page": "Visa denna version",
    "versions_title": "Beskrivningens versioner",
    "versions_intro": (
        "Varje samtyckespost innehåller hashvärdet (SHA-256) för den beskrivning som samtycket "
        "gavs enligt. Här finns varje version som har använts."
    ),
    "first_served": "I bruk från",
    "hash": "Hashvärde (SHA-256)",
    "banner_texts": "Kakbannerns texter",
    "first_layer": "Första vyn",
    "settings_layer": "Inställningar",
    "categories": "Kategorier",
    "archived": (
        "Detta är version {version} av beskrivningen så som den var i bruk från "
        "{first_served}. Den gällande beskrivningen:"
    ),
    "unreadable": (
        "Denna version kan inte längre visas som beskrivning; nedan finns dess ursprungliga text."
    ),
    "source": "Ursprunglig fil",
}

_EN: Final[dict[str, str]] = {
    "notice": "Privacy notice",
    "contents": "Contents",
    "languages": "Language",
    "version": "Version",
    "updated": "Updated",
    "controller": "Controller and contact details",
    "purposes": "Purposes and legal bases of processing",
    "data": "Personal data processed",
    "sources": "Sources of the data",
    "recipients": "Recipients and processors",
    "transfers": "Transfers outside the EU and EEA",
    "cookies": "Cookies and analytics",
    "retention": "Retention periods",
    "security": "Security",
    "rights": "Your rights and how to use them",
    "authority": "Supervisory authority",
    "changes": "Change history",
    "more": "More information",
    "business_id": "Business ID",
    "address": "Address",
    "phone": "Phone",
    "email": "E-mail",
    "privacy_contact": "Contact about personal data",
    "purpose": "Purpose",
    "legal_basis": "Legal basis",
    "purpose_category": "{title}: {description}",
    "purpose_consent_record": (
        "Saving your cookie choice and demonstrating consent (GDPR Article 7(1))"
    ),
    "basis.consent": "Consent (GDPR Art. 6(1)(a))",
    "basis.contract": "Contract (Art. 6(1)(b))",
    "basis.legal_obligation": "Legal obligation (Art. 6(1)(c))",
    "basis.vital_interests": "Vital interests (Art. 6(1)(d))",
    "basis.public_task": "Public interest or official authority (Art. 6(1)(e))",
    "basis.legitimate_interests": "Legitimate interests (Art. 6(1)(f))",
    "given": "Data you give",
    "observed": "Data observed when you use the online services",
    "derived": "Data derived by analytics",
    "observed_analytics": (
        "Web analytics, only with your consent: pages viewed and when, the site you came from, "
        "browser, operating system, device type, country and the IP address shortened"
    ),
    "observed_anonymous": (
        "Without consent only anonymous page counts: the page address without parameters, "
        "country and device type, no IP address and no identifier"
    ),
    "observed_consent": (
        "Your cookie choice: categories granted and refused, time, notice version, language, "
        "and the shortened IP address and browser name"
    ),
    "source_browser": (
        "Your browser, when you use the site: analytics data only with your consent, your "
        "cookie choice always"
    ),
    "recipient": "Recipient",
    "processor": "Processor",
    "role": "Role",
    "location": "Location",
    "third_parties": (
        "The third-party services in the cookie declaration receive data from your browser "
        "only when you allow their category:"
    ),
    "no_recipients": "The data is not disclosed to anyone.",
    "transfers_none": (
        "The data is not transferred outside the European Union or the European Economic Area."
    ),
    "transfers_some": (
        "The data may be transferred outside the European Union or the European Economic Area."
    ),
    "cookie_intro": (
        "This cookie declaration is generated from the same file that tells the cookie banner "
        "what to block until consent, so the two always agree."
    ),
    "required": "always on",
    "optional": "only with consent",
    "service": "Service",
    "provider": "Provider",
    "cookie_names": "Cookies",
    "lifetime": "Retention",
    "party": "Party",
    "first_party": "first party",
    "third_party": "third party",
    "retention_choice": "Your cookie choice is valid for {days} days; then we ask again.",
    "retention_hits": "Web analytics data is deleted after {days} days.",
    "retention_consents": "Consent records are kept for {days} days as proof of consent.",
    "retention_audit": (
        "The log of who viewed, exported or erased personal data is kept for {days} days."
    ),
    "retention_cookies": "Each cookie's lifetime is in the cookie declaration.",
    "security_ip": (
        "The IP address is shortened before anything is stored: its last {n} bytes are removed "
        "(for IPv6 the matching part)."
    ),
    "security_drop": "Web analytics data is stored only with your consent.",
    "security_anonymous": (
        "Without consent only anonymous page counts without an IP address are stored."
    ),
    "security_chain": (
        "Consent records are chained with SHA-256 hashes, so a changed or removed record is "
        "detected."
    ),
    "rights_intro": "This is how you use your rights:",
    "my_data": "My data",
    "bytes_removed": "last {n} bytes removed",
    "right.access": "Right of access",
    "right.access.how": (
        "See the analytics data and consent records stored from this browser on the My data "
        "page. For other data, ask the controller."
    ),
    "right.rectification": "Right to rectification",
    "right.rectification.how": (
        "Ask the controller to correct or complete inaccurate or incomplete data about you."
    ),
    "right.erasure": "Right to erasure",
    "right.erasure.how": (
        "Erase this browser's analytics data on the My data page. Erasure deletes the analytics "
        "data (page views and visits); consent records are kept as proof of consent without "
        "IP address and browser. To have other data erased, ask the controller."
    ),
    "right.portability": "Right to data portability",
    "right.portability.how": (
        "Download your analytics data and consent records as a JSON file on the My data page. "
        "For data you gave yourself, ask the controller."
    ),
    "right.direct_marketing": "Right to object to direct marketing",
    "right.direct_marketing.how": (
        "You can at any time forbid the use of your data for direct marketing by telling the "
        "controller."
    ),
    "right.objection": "Right to object and to restriction of processing",
    "right.objection.how": (
        "Object to web analytics at any time on the My data page or in the cookie settings; "
        "then nothing more is stored. To object to other processing based on legitimate "
        "interests, or to have processing restricted, ask the controller."
    ),
    "right.withdrawal": "Right to withdraw consent",
    "right.withdrawal.how": (
        "Withdraw or change your consent at any time in the cookie settings (the settings "
        "button on every page of the site) or on the My data page. Withdrawal does not affect "
        "the lawfulness of processing before it."
    ),
    "right.complaint": "Right to lodge a complaint with the supervisory authority",
    "right.complaint.how": (
        "If you consider that your data is processed unlawfully, you can lodge a complaint with "
        "the supervisory authority."
    ),
    "contact_controller": "Controller's contact details",
    "authority_contacts": "Supervisory authority's contact details",
    "visiting_address": "Visiting address",
    "postal_address": "Postal address",
    "switchboard": "Switchboard",
    "website": "Website",
    "date": "Date",
    "change": "Change",
    "this_version": "This version: {version}, hash {hash}.",
    "all_versions": "Every version of this notice",
    "version_page": "Show this version",
    "versions_title": "Versions of the notice",
    "versions_intro": (
        "Every consent record holds the hash (SHA-256) of the notice the consent was given "
        "under. This page lists every version that has been served."
    ),
    "first_served": "Served from",
    "hash": "Hash (SHA-256)",
    "banner_texts": "Cookie banner texts",
    "first_layer": "First layer",
    "settings_layer": "Settings",
    "categories": "Categories",
    "archived": (
        "This is version {version} of the notice as served from {first_served}. The current notice:"
    ),
    "unreadable": "This version can no longer be shown as a notice; below is its original text.",
    "source": "Original file",
}

WORDING: Final[dict[str, dict[str, str]]] = {"fi": _FI, "sv": _SV, "en": _EN}

# Every right GDPR Arts. 15-22 and 77 give, in the order the notice lists them, with where
# each is exercised: "my_data" (the self-service page), "settings" (the banner),
# "controller" (the controller's contact), "authority" (the supervisory authority).
RIGHTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("access", ("my_data", "controller")),
    ("rectification", ("controller",)),
    ("erasure", ("my_data", "controller")),
    ("portability", ("my_data", "controller")),
    ("direct_marketing", ("controller",)),
    ("objection", ("my_data", "settings", "controller")),
    ("withdrawal", ("settings", "my_data")),
    ("complaint", ("authority",)),
)


def wording(lang: str) -> Wording:
    """The notice's words in ``lang``; English for a language without its own."""
    return WORDING.get(lang, _EN)
