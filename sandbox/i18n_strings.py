"""Widget strings for GET /i18n/{lang_code}: the keys a booking page uses, in the spec's nesting."""

EN = {
    "date": {
        "day_of": "Day off",
        "no_record": "Working, fully booked",
        "have_record": "Working, times available",
    },
    "time": {
        "noTimes": "There are no free times on the selected day",
        "the_part_of_day": {"morning": "Morning", "day": "Afternoon", "evening": "Evening"},
    },
    "master": {
        "any_master": "Any team member",
        "nearest_time": "Next available time",
        "no_record": "There are no free times on the selected day",
        "no_master": "The team member no longer works at this location",
    },
    "service": {
        "services": "Services",
        "price_from": "from",
        "price_not_available": "Price not specified",
        "noServicesAndEvents": "No services found",
    },
    "steps": {"service": "Service", "staff": {"nominative": "Team member"}, "date_and_time": "Date and time"},
    "confirm": {
        "first_name": "Name",
        "phone": "Phone",
        "email": "Email",
        "comment": "Comment",
        "recording": "Book",
        "phone_confirm": "Confirm your phone number",
        "phone_confirm_button": "Confirm",
        "i_agree": "I agree",
        "orderErrors": {
            "unknown": "Invalid booking details",
            "server": "Something went wrong, please try again later",
            "code_422": "Invalid booking details",
            "code_433": "This time can no longer be booked",
            "code_436": "No team members are available at this time",
            "code_437": "The appointments overlap",
            "code_438": "The selected service can no longer be booked",
        },
        "errors": {
            "name": {"required": "Enter your name"},
            "phone": {"required": "Enter your phone number", "incorrect": "Wrong number"},
            "code": {"incorrect": "Wrong code from the SMS"},
            "agreement": {"required": "You must accept the privacy policy"},
        },
    },
    "record": {
        "booking_success": "You are booked!",
        "cancel_record": "Cancel appointment",
        "confirm_cancel_record": "Are you sure you want to cancel the appointment?",
        "is_canceled_success": "The appointment was cancelled",
        "change_record_time": "Reschedule",
        "error_cancel_record_new1": "This appointment cannot be cancelled online. Please call us.",
    },
    "login": {
        "sms_auth": "Sign in by SMS",
        "input_code_confirm": "Enter the code we sent by SMS to",
        "come_in_with_login_and_pass": "Sign in with login and password",
        "errors": {"incorrect_login_password": "There is no user with this login and password"},
    },
    "button": {"select": "Select", "continue": "Continue", "confirm": "Confirm", "back": "Back"},
}

LV = {
    "date": {
        "day_of": "Brīvdiena",
        "no_record": "Darba diena, viss aizņemts",
        "have_record": "Ir brīvi laiki",
    },
    "time": {
        "noTimes": "Izvēlētajā dienā nav brīvu laiku",
        "the_part_of_day": {"morning": "Rīts", "day": "Diena", "evening": "Vakars"},
    },
    "master": {
        "any_master": "Jebkurš speciālists",
        "nearest_time": "Tuvākais brīvais laiks",
        "no_record": "Izvēlētajā dienā nav brīvu laiku",
        "no_master": "Speciālists šajā filiālē vairs nestrādā",
    },
    "service": {
        "services": "Pakalpojumi",
        "price_from": "no",
        "price_not_available": "Cena nav norādīta",
        "noServicesAndEvents": "Pakalpojumi nav atrasti",
    },
    "steps": {
        "service": "Pakalpojums",
        "staff": {"nominative": "Speciālists"},
        "date_and_time": "Datums un laiks",
    },
    "confirm": {
        "first_name": "Vārds",
        "phone": "Tālrunis",
        "email": "E-pasts",
        "comment": "Komentārs",
        "recording": "Pieteikties",
        "phone_confirm": "Apstipriniet tālruņa numuru",
        "phone_confirm_button": "Apstiprināt",
        "i_agree": "Piekrītu",
        "orderErrors": {
            "unknown": "Nepareizi pieteikuma dati",
            "server": "Radās kļūda, lūdzu, mēģiniet vēlāk",
            "code_422": "Nepareizi pieteikuma dati",
            "code_433": "Šo laiku vairs nevar rezervēt",
            "code_436": "Šajā laikā nav pieejamu speciālistu",
            "code_437": "Pieraksti pārklājas",
            "code_438": "Izvēlēto pakalpojumu vairs nevar rezervēt",
        },
        "errors": {
            "name": {"required": "Ievadiet vārdu"},
            "phone": {"required": "Ievadiet tālruņa numuru", "incorrect": "Nepareizs numurs"},
            "code": {"incorrect": "Nepareizs SMS kods"},
            "agreement": {"required": "Jums jāpiekrīt privātuma politikai"},
        },
    },
    "record": {
        "booking_success": "Jūs esat pierakstīts!",
        "cancel_record": "Atcelt pierakstu",
        "confirm_cancel_record": "Vai tiešām vēlaties atcelt pierakstu?",
        "is_canceled_success": "Pieraksts atcelts",
        "change_record_time": "Pārcelt",
        "error_cancel_record_new1": "Šo pierakstu nevar atcelt tiešsaistē. Lūdzu, sazinieties ar filiāli.",
    },
    "login": {
        "sms_auth": "Ieiet ar SMS",
        "input_code_confirm": "Ievadiet kodu, kas nosūtīts uz",
        "come_in_with_login_and_pass": "Ieiet ar lietotājvārdu un paroli",
        "errors": {"incorrect_login_password": "Lietotājs ar šādu lietotājvārdu un paroli nav atrasts"},
    },
    "button": {"select": "Izvēlēties", "continue": "Turpināt", "confirm": "Apstiprināt", "back": "Atpakaļ"},
}

DE = {
    "date": {"day_of": "Ruhetag", "no_record": "Geöffnet, ausgebucht", "have_record": "Freie Termine"},
    "time": {
        "noTimes": "Am gewählten Tag gibt es keine freien Zeiten",
        "the_part_of_day": {"morning": "Morgen", "day": "Nachmittag", "evening": "Abend"},
    },
    "master": {
        "any_master": "Beliebige Fachkraft",
        "nearest_time": "Nächster freier Termin",
        "no_record": "Am gewählten Tag gibt es keine freien Zeiten",
        "no_master": "Die Fachkraft arbeitet nicht mehr an diesem Standort",
    },
    "service": {
        "services": "Leistungen",
        "price_from": "ab",
        "price_not_available": "Preis nicht angegeben",
        "noServicesAndEvents": "Keine Leistungen gefunden",
    },
    "steps": {
        "service": "Leistung",
        "staff": {"nominative": "Fachkraft"},
        "date_and_time": "Datum und Uhrzeit",
    },
    "confirm": {
        "first_name": "Name",
        "phone": "Telefon",
        "email": "E-Mail",
        "comment": "Kommentar",
        "recording": "Buchen",
        "phone_confirm": "Telefonnummer bestätigen",
        "phone_confirm_button": "Bestätigen",
        "i_agree": "Ich stimme zu",
        "orderErrors": {
            "unknown": "Ungültige Buchungsdaten",
            "server": "Etwas ist schiefgelaufen, bitte später erneut versuchen",
            "code_422": "Ungültige Buchungsdaten",
            "code_433": "Diese Zeit ist nicht mehr buchbar",
            "code_436": "Zu dieser Zeit ist keine Fachkraft frei",
            "code_437": "Die Termine überschneiden sich",
            "code_438": "Die gewählte Leistung ist nicht mehr buchbar",
        },
        "errors": {
            "name": {"required": "Bitte Namen eingeben"},
            "phone": {"required": "Bitte Telefonnummer eingeben", "incorrect": "Falsche Nummer"},
            "code": {"incorrect": "Falscher SMS-Code"},
            "agreement": {"required": "Bitte der Datenschutzerklärung zustimmen"},
        },
    },
    "record": {
        "booking_success": "Ihr Termin ist gebucht!",
        "cancel_record": "Termin stornieren",
        "confirm_cancel_record": "Möchten Sie den Termin wirklich stornieren?",
        "is_canceled_success": "Der Termin wurde storniert",
        "change_record_time": "Verschieben",
        "error_cancel_record_new1": "Online-Stornierung nicht möglich. Bitte rufen Sie uns an.",
    },
    "login": {
        "sms_auth": "Anmeldung per SMS",
        "input_code_confirm": "Geben Sie den per SMS gesendeten Code ein für",
        "come_in_with_login_and_pass": "Mit Benutzername und Passwort anmelden",
        "errors": {"incorrect_login_password": "Kein Benutzer mit diesem Namen und Passwort"},
    },
    "button": {"select": "Auswählen", "continue": "Weiter", "confirm": "Bestätigen", "back": "Zurück"},
}

STRINGS = {"en-US": EN, "lv-LV": LV, "de-DE": DE}
