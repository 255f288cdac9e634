# Urdu ends sentences with its own full stop (U+06D4), which ruff takes for a look-alike.
# ruff: noqa: RUF001
"""The standard "Your Views" questions in Welsh, Urdu, Punjabi (Gurmukhi), Gujarati and Polish.

Written plainly by the developers, to be checked by fluent speakers before a force relies on
them. `texts_for` gives a template question's wording in English and every language here, in
the `QuestionVersion.texts` shape; a language missing a question falls back to English on the
form, so a partial translation is safe to ship.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .templates import DONT_KNOW, PREFER_NOT_TO_SAY, TemplateQuestion

LANGUAGES = ("cy", "ur", "pa", "gu", "pl")
ENGLISH = "en"

# Per language: the five-point scale, the shared labels, then each question's text and hint.
_WORDS: dict[str, dict[str, Any]] = {
    "cy": {
        "agree5": (
            "Anghytuno\u2019n gryf",
            "Anghytuno",
            "Ddim yn cytuno nac yn anghytuno",
            "Cytuno",
            "Cytuno\u2019n gryf",
            "Ddim yn gwybod",
        ),
        "prefer": "Mae\u2019n well gen i beidio \u00e2 dweud",
        "optional": "Dewisol.",
        "ages": ("16 i 24", "25 i 44", "45 i 59", "60 i 74", "75 neu h\u0177n"),
        "sexes": ("Benyw", "Gwryw", "Rwy\u2019n disgrifio fy hun mewn ffordd arall"),
        "ethnic": (
            "Gwyn",
            "Grwpiau ethnig cymysg neu luosog",
            "Asiaidd neu Asiaidd Prydeinig",
            "Du, Du Prydeinig, Caribïaidd neu Affricanaidd",
            "Grŵp ethnig arall",
        ),
        "yes_no": ("Ydw", "Nac ydw"),
        "understand-issues": "Mae\u2019r heddlu yn yr ardal hon yn deall y materion sy\u2019n bwysig i bobl yma ac yn delio \u00e2 nhw.",
        "feel-safe": "Rwy\u2019n teimlo\u2019n ddiogel lle rwy\u2019n byw.",
        "kept-informed": "Mae\u2019r heddlu\u2019n rhoi gwybod i mi beth maen nhw\u2019n ei wneud yn fy ardal.",
        "good-job": "A chymryd popeth i ystyriaeth, mae\u2019r heddlu yn yr ardal hon yn gwneud gwaith da.",
        "trust-police": "Rwy\u2019n ymddiried yn yr heddlu yn fy ardal.",
        "main-concern": (
            "Beth yw\u2019r un peth yr hoffech chi fwyaf i\u2019r heddlu ddelio ag ef lle rydych chi\u2019n byw?",
            "Dewisol. Peidiwch \u00e2 chynnwys enwau na manylion eraill a allai ddangos pwy yw rhywun.",
        ),
        "age-band": (
            "Faint yw eich oed chi?",
            "Dewisol. Rydyn ni\u2019n defnyddio hyn i wneud yn si\u0175r ein bod yn clywed gan bobl o bob oed.",
        ),
        "sex": "Beth yw eich rhyw?",
        "ethnic-group": "Pa un o\u2019r rhain sy\u2019n disgrifio eich gr\u0175p ethnig neu eich cefndir orau?",
        "disability": "Ydych chi\u2019n ystyried bod gennych anabledd neu gyflwr iechyd hirdymor?",
    },
    "ur": {
        "agree5": (
            "سختی سے غیر متفق",
            "غیر متفق",
            "نہ متفق نہ غیر متفق",
            "متفق",
            "پوری طرح متفق",
            "معلوم نہیں",
        ),
        "prefer": "میں نہیں بتانا چاہتا/چاہتی",
        "optional": "اختیاری۔",
        "ages": ("16 سے 24", "25 سے 44", "45 سے 59", "60 سے 74", "75 یا اس سے زیادہ"),
        "sexes": ("عورت", "مرد", "میں اپنی شناخت کسی اور طرح بیان کرتا/کرتی ہوں"),
        "ethnic": (
            "سفید فام",
            "مخلوط یا ایک سے زیادہ نسلی گروہ",
            "ایشیائی یا ایشیائی برطانوی",
            "سیاہ فام، سیاہ فام برطانوی، کیریبین یا افریقی",
            "کوئی اور نسلی گروہ",
        ),
        "yes_no": ("ہاں", "نہیں"),
        "understand-issues": "اس علاقے کی پولیس یہاں کے لوگوں کے لیے اہم مسائل کو سمجھتی ہے اور ان سے نمٹتی ہے۔",
        "feel-safe": "میں جہاں رہتا/رہتی ہوں وہاں خود کو محفوظ محسوس کرتا/کرتی ہوں۔",
        "kept-informed": "پولیس مجھے بتاتی رہتی ہے کہ وہ میرے علاقے میں کیا کر رہی ہے۔",
        "good-job": "سب باتوں کو مدنظر رکھتے ہوئے، اس علاقے کی پولیس اچھا کام کرتی ہے۔",
        "trust-police": "مجھے اپنے علاقے کی پولیس پر بھروسہ ہے۔",
        "main-concern": (
            "آپ جہاں رہتے ہیں وہاں وہ کون سی ایک بات ہے جس سے آپ سب سے زیادہ چاہیں گے کہ پولیس نمٹے؟",
            "اختیاری۔ براہ کرم نام یا کوئی اور ایسی تفصیل نہ لکھیں جس سے کسی کی شناخت ہو سکے۔",
        ),
        "age-band": (
            "آپ کی عمر کتنی ہے؟",
            "اختیاری۔ اس سے ہم دیکھتے ہیں کہ ہم ہر عمر کے لوگوں کی بات سن رہے ہیں۔",
        ),
        "sex": "آپ کی جنس کیا ہے؟",
        "ethnic-group": "ان میں سے کون سا آپ کے نسلی گروہ یا پس منظر کو سب سے بہتر بیان کرتا ہے؟",
        "disability": "کیا آپ سمجھتے ہیں کہ آپ کو کوئی معذوری یا طویل مدتی صحت کا مسئلہ ہے؟",
    },
    "pa": {
        "agree5": (
            "ਬਿਲਕੁਲ ਅਸਹਿਮਤ",
            "ਅਸਹਿਮਤ",
            "ਨਾ ਸਹਿਮਤ ਨਾ ਅਸਹਿਮਤ",
            "ਸਹਿਮਤ",
            "ਪੂਰੀ ਤਰ੍ਹਾਂ ਸਹਿਮਤ",
            "ਪਤਾ ਨਹੀਂ",
        ),
        "prefer": "ਮੈਂ ਨਹੀਂ ਦੱਸਣਾ ਚਾਹੁੰਦਾ/ਚਾਹੁੰਦੀ",
        "optional": "ਵਿਕਲਪਿਕ।",
        "ages": ("16 ਤੋਂ 24", "25 ਤੋਂ 44", "45 ਤੋਂ 59", "60 ਤੋਂ 74", "75 ਜਾਂ ਵੱਧ"),
        "sexes": ("ਔਰਤ", "ਮਰਦ", "ਮੈਂ ਆਪਣੇ ਆਪ ਨੂੰ ਕਿਸੇ ਹੋਰ ਤਰ੍ਹਾਂ ਬਿਆਨ ਕਰਦਾ/ਕਰਦੀ ਹਾਂ"),
        "ethnic": (
            "ਗੋਰੇ",
            "ਮਿਲੇ-ਜੁਲੇ ਜਾਂ ਕਈ ਨਸਲੀ ਸਮੂਹ",
            "ਏਸ਼ੀਆਈ ਜਾਂ ਏਸ਼ੀਆਈ ਬ੍ਰਿਟਿਸ਼",
            "ਕਾਲੇ, ਕਾਲੇ ਬ੍ਰਿਟਿਸ਼, ਕੈਰੇਬੀਅਨ ਜਾਂ ਅਫ਼ਰੀਕੀ",
            "ਕੋਈ ਹੋਰ ਨਸਲੀ ਸਮੂਹ",
        ),
        "yes_no": ("ਹਾਂ", "ਨਹੀਂ"),
        "understand-issues": "ਇਸ ਇਲਾਕੇ ਦੀ ਪੁਲਿਸ ਇੱਥੇ ਦੇ ਲੋਕਾਂ ਲਈ ਅਹਿਮ ਮਸਲਿਆਂ ਨੂੰ ਸਮਝਦੀ ਹੈ ਅਤੇ ਉਨ੍ਹਾਂ ਨਾਲ ਨਜਿੱਠਦੀ ਹੈ।",
        "feel-safe": "ਮੈਂ ਜਿੱਥੇ ਰਹਿੰਦਾ/ਰਹਿੰਦੀ ਹਾਂ ਉੱਥੇ ਸੁਰੱਖਿਅਤ ਮਹਿਸੂਸ ਕਰਦਾ/ਕਰਦੀ ਹਾਂ।",
        "kept-informed": "ਪੁਲਿਸ ਮੈਨੂੰ ਦੱਸਦੀ ਰਹਿੰਦੀ ਹੈ ਕਿ ਉਹ ਮੇਰੇ ਇਲਾਕੇ ਵਿੱਚ ਕੀ ਕਰ ਰਹੀ ਹੈ।",
        "good-job": "ਸਭ ਕੁਝ ਧਿਆਨ ਵਿੱਚ ਰੱਖਦੇ ਹੋਏ, ਇਸ ਇਲਾਕੇ ਦੀ ਪੁਲਿਸ ਵਧੀਆ ਕੰਮ ਕਰਦੀ ਹੈ।",
        "trust-police": "ਮੈਨੂੰ ਆਪਣੇ ਇਲਾਕੇ ਦੀ ਪੁਲਿਸ \u2019ਤੇ ਭਰੋਸਾ ਹੈ।",
        "main-concern": (
            "ਤੁਸੀਂ ਜਿੱਥੇ ਰਹਿੰਦੇ ਹੋ, ਉੱਥੇ ਉਹ ਕਿਹੜੀ ਇੱਕ ਗੱਲ ਹੈ ਜਿਸ ਨਾਲ ਤੁਸੀਂ ਸਭ ਤੋਂ ਵੱਧ ਚਾਹੋਗੇ ਕਿ ਪੁਲਿਸ ਨਜਿੱਠੇ?",
            "ਵਿਕਲਪਿਕ। ਕਿਰਪਾ ਕਰਕੇ ਨਾਂ ਜਾਂ ਹੋਰ ਅਜਿਹੇ ਵੇਰਵੇ ਨਾ ਲਿਖੋ ਜਿਨ੍ਹਾਂ ਨਾਲ ਕਿਸੇ ਦੀ ਪਛਾਣ ਹੋ ਸਕੇ।",
        ),
        "age-band": (
            "ਤੁਹਾਡੀ ਉਮਰ ਕਿੰਨੀ ਹੈ?",
            "ਵਿਕਲਪਿਕ। ਇਸ ਨਾਲ ਅਸੀਂ ਜਾਂਚਦੇ ਹਾਂ ਕਿ ਅਸੀਂ ਹਰ ਉਮਰ ਦੇ ਲੋਕਾਂ ਦੀ ਗੱਲ ਸੁਣ ਰਹੇ ਹਾਂ।",
        ),
        "sex": "ਤੁਹਾਡਾ ਲਿੰਗ ਕੀ ਹੈ?",
        "ethnic-group": "ਇਨ੍ਹਾਂ ਵਿੱਚੋਂ ਕਿਹੜਾ ਤੁਹਾਡੇ ਨਸਲੀ ਸਮੂਹ ਜਾਂ ਪਿਛੋਕੜ ਨੂੰ ਸਭ ਤੋਂ ਵਧੀਆ ਦੱਸਦਾ ਹੈ?",
        "disability": "ਕੀ ਤੁਸੀਂ ਮੰਨਦੇ ਹੋ ਕਿ ਤੁਹਾਨੂੰ ਕੋਈ ਅਪੰਗਤਾ ਜਾਂ ਲੰਮੇ ਸਮੇਂ ਦੀ ਸਿਹਤ ਸਮੱਸਿਆ ਹੈ?",
    },
    "gu": {
        "agree5": (
            "સખત અસહમત",
            "અસહમત",
            "ન સહમત, ન અસહમત",
            "સહમત",
            "સંપૂર્ણ સહમત",
            "ખબર નથી",
        ),
        "prefer": "હું જણાવવા માંગતો/માંગતી નથી",
        "optional": "વૈકલ્પિક.",
        "ages": ("16 થી 24", "25 થી 44", "45 થી 59", "60 થી 74", "75 કે તેથી વધુ"),
        "sexes": ("સ્ત્રી", "પુરુષ", "હું મારી ઓળખ બીજી રીતે આપું છું"),
        "ethnic": (
            "શ્વેત",
            "મિશ્ર અથવા બહુવિધ વંશીય જૂથો",
            "એશિયન અથવા એશિયન બ્રિટિશ",
            "અશ્વેત, અશ્વેત બ્રિટિશ, કેરેબિયન અથવા આફ્રિકન",
            "અન્ય વંશીય જૂથ",
        ),
        "yes_no": ("હા", "ના"),
        "understand-issues": "આ વિસ્તારની પોલીસ અહીંના લોકો માટે મહત્ત્વના પ્રશ્નો સમજે છે અને તેનો ઉકેલ લાવે છે.",
        "feel-safe": "હું જ્યાં રહું છું ત્યાં મને સલામતી લાગે છે.",
        "kept-informed": "પોલીસ મારા વિસ્તારમાં શું કરી રહી છે તેની મને જાણ કરતી રહે છે.",
        "good-job": "બધી બાબતો ધ્યાનમાં લેતાં, આ વિસ્તારની પોલીસ સારું કામ કરે છે.",
        "trust-police": "મને મારા વિસ્તારની પોલીસ પર વિશ્વાસ છે.",
        "main-concern": (
            "તમે જ્યાં રહો છો ત્યાં એવી કઈ એક બાબત છે જેનો પોલીસ ઉકેલ લાવે એવું તમે સૌથી વધુ ઇચ્છો છો?",
            "વૈકલ્પિક. કૃપા કરીને નામ કે કોઈની ઓળખ થઈ શકે એવી બીજી વિગતો લખશો નહીં.",
        ),
        "age-band": (
            "તમારી ઉંમર કેટલી છે?",
            "વૈકલ્પિક. દરેક ઉંમરના લોકો પાસેથી અમે સાંભળી રહ્યા છીએ કે નહીં તે જોવા અમે આનો ઉપયોગ કરીએ છીએ.",
        ),
        "sex": "તમારું લિંગ શું છે?",
        "ethnic-group": "આમાંથી કયું તમારા વંશીય જૂથ અથવા પૃષ્ઠભૂમિનું સૌથી સારું વર્ણન કરે છે?",
        "disability": "શું તમે માનો છો કે તમને કોઈ વિકલાંગતા અથવા લાંબા ગાળાની આરોગ્ય સમસ્યા છે?",
    },
    "pl": {
        "agree5": (
            "Zdecydowanie się nie zgadzam",
            "Nie zgadzam się",
            "Ani się zgadzam, ani nie zgadzam",
            "Zgadzam się",
            "Zdecydowanie się zgadzam",
            "Nie wiem",
        ),
        "prefer": "Wolę nie odpowiadać",
        "optional": "Pytanie nieobowiązkowe.",
        "ages": ("Od 16 do 24", "Od 25 do 44", "Od 45 do 59", "Od 60 do 74", "75 lub więcej"),
        "sexes": ("Kobieta", "Mężczyzna", "Określam się inaczej"),
        "ethnic": (
            "Biała",
            "Mieszana lub kilka grup etnicznych",
            "Azjatycka lub brytyjska azjatycka",
            "Czarnoskóra, brytyjska czarnoskóra, karaibska lub afrykańska",
            "Inna grupa etniczna",
        ),
        "yes_no": ("Tak", "Nie"),
        "understand-issues": "Policja w tej okolicy rozumie sprawy ważne dla mieszkańców i się nimi zajmuje.",
        "feel-safe": "Czuję się bezpiecznie tam, gdzie mieszkam.",
        "kept-informed": "Policja informuje mnie o tym, co robi w mojej okolicy.",
        "good-job": "Biorąc wszystko pod uwagę, policja w tej okolicy dobrze wykonuje swoją pracę.",
        "trust-police": "Ufam policji w mojej okolicy.",
        "main-concern": (
            "Czym przede wszystkim chcesz, żeby policja zajęła się tam, gdzie mieszkasz?",
            "Pytanie nieobowiązkowe. Prosimy nie podawać nazwisk ani innych danych, po których można kogoś rozpoznać.",
        ),
        "age-band": (
            "Ile masz lat?",
            "Pytanie nieobowiązkowe. Dzięki temu sprawdzamy, czy słyszymy głos osób w każdym wieku.",
        ),
        "sex": "Jaka jest Twoja płeć?",
        "ethnic-group": "Które z poniższych najlepiej opisuje Twoją grupę etniczną lub pochodzenie?",
        "disability": "Czy uważasz, że masz niepełnosprawność lub długotrwały problem zdrowotny?",
    },
}

_AGREE_KEYS = ("strongly-disagree", "disagree", "neither", "agree", "strongly-agree", DONT_KNOW)
_AGE_KEYS = ("16-24", "25-44", "45-59", "60-74", "75-plus")
_ETHNIC_KEYS = ("white", "mixed", "asian", "black", "other")


def _language_texts(words: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    prefer = {PREFER_NOT_TO_SAY: words["prefer"]}
    agree = dict(zip(_AGREE_KEYS, words["agree5"], strict=True))
    texts: dict[str, dict[str, Any]] = {
        key: {"text": words[key], "hint": "", "options": agree}
        for key in ("understand-issues", "feel-safe", "kept-informed", "good-job", "trust-police")
    }
    concern_text, concern_hint = words["main-concern"]
    texts["main-concern"] = {"text": concern_text, "hint": concern_hint, "options": {}}
    age_text, age_hint = words["age-band"]
    texts["age-band"] = {
        "text": age_text,
        "hint": age_hint,
        "options": {**dict(zip(_AGE_KEYS, words["ages"], strict=True)), **prefer},
    }
    texts["sex"] = {
        "text": words["sex"],
        "hint": words["optional"],
        "options": {**dict(zip(("female", "male", "other"), words["sexes"], strict=True)), **prefer},
    }
    texts["ethnic-group"] = {
        "text": words["ethnic-group"],
        "hint": words["optional"],
        "options": {**dict(zip(_ETHNIC_KEYS, words["ethnic"], strict=True)), **prefer},
    }
    texts["disability"] = {
        "text": words["disability"],
        "hint": words["optional"],
        "options": {**dict(zip(("yes", "no"), words["yes_no"], strict=True)), **prefer},
    }
    return texts


# {language: {question key: {"text", "hint", "options": {option key: label}}}}
TRANSLATIONS: dict[str, dict[str, dict[str, Any]]] = {
    language: _language_texts(words) for language, words in _WORDS.items()
}


def texts_for(question: TemplateQuestion) -> dict[str, Any]:
    """A template question's `QuestionVersion.texts`: English and every translation here."""
    texts = question.texts(ENGLISH)
    for language in LANGUAGES:
        wording = TRANSLATIONS[language].get(question.key)
        if wording is not None:
            texts[language] = wording
    return texts


def wording(texts: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The wording to show in `language` ("en-gb", "cy"…): its own text where there is one,
    English otherwise; option labels fall back one by one, so a new option still shows."""
    english: Mapping[str, Any] = texts.get(ENGLISH) or {}
    base = language.split("-")[0].lower()
    chosen: Mapping[str, Any] = texts.get(language) or texts.get(base) or english
    return {
        "text": chosen.get("text") or english.get("text", ""),
        "hint": chosen.get("hint", "") if chosen.get("text") else english.get("hint", ""),
        "options": {**(english.get("options") or {}), **(chosen.get("options") or {})},
        "language": base if chosen is not english and chosen else ENGLISH,
    }
