"""A small multilingual knowledge base, written like the real one, for search tests."""

from __future__ import annotations

from knowledge.documents import SearchDocument
from knowledge.search import SearchIndex


def doc(
    slug: str, locale: str, title: str, summary: str, keywords: tuple[str, ...], body: str = ""
) -> SearchDocument:
    return SearchDocument(
        slug=slug,
        locale=locale,
        title=title,
        summary=summary,
        body=body or summary,
        keywords=keywords,
        kind="faq",
    )


DOCUMENTS = (
    doc(
        "health-ame",
        "fr",
        "Aide médicale de l'État (AME)",
        "L'AME prend en charge les soins des personnes sans titre de séjour en France.",
        ("AME", "aide médicale", "sans papiers", "soins gratuits", "médecin", "hôpital"),
    ),
    doc(
        "health-ame",
        "en",
        "State medical aid (AME)",
        "AME pays for health care for people without a residence permit in France.",
        ("AME", "medical aid", "no papers", "free care", "doctor", "hospital"),
    ),
    doc(
        "health-ame",
        "ar",
        "المساعدة الطبية الحكومية (AME)",
        "تغطي المساعدة الطبية تكاليف العلاج للأشخاص الذين ليس لديهم إقامة في فرنسا.",
        ("AME", "مساعدة طبية", "علاج مجاني", "طبيب", "مستشفى"),
    ),
    doc(
        "health-ame",
        "fa",
        "کمک پزشکی دولتی (AME)",
        "این کمک هزینه‌های درمان کسانی را که اقامت ندارند می‌پردازد.",
        ("AME", "بیمه درمانی", "دکتر رایگان", "بیمارستان"),
    ),
    doc(
        "housing-115",
        "fr",
        "Hébergement d'urgence : appeler le 115",
        "Le 115 est le numéro gratuit pour trouver une place où dormir ce soir.",
        ("115", "dormir dehors", "hébergement", "SAMU social", "à la rue"),
    ),
    doc(
        "housing-115",
        "en",
        "Emergency shelter: call 115",
        "115 is the free number to find a place to sleep tonight.",
        ("115", "sleeping outside", "shelter", "homeless", "place to sleep"),
    ),
    doc(
        "housing-115",
        "ar",
        "السكن الطارئ: اتصل بالرقم 115",
        "الرقم 115 مجاني لإيجاد مكان للنوم هذه الليلة.",
        ("115", "مكان للنوم", "سكن طارئ", "أنام في الشارع"),
    ),
    doc(
        "transport-solidarity",
        "fr",
        "Réduction solidarité transport sur le passe Navigo",
        "Avec la CSS ou l'AME, le passe Navigo coûte moins cher.",
        ("Navigo", "réduction", "transport", "métro", "tarif solidarité"),
    ),
    doc(
        "transport-solidarity",
        "uk",
        "Знижка на проїзний Navigo",
        "З CSS або AME проїзний Navigo коштує дешевше.",
        ("Navigo", "знижка", "транспорт", "метро"),
    ),
    doc(
        "french-courses",
        "fr",
        "Cours de français gratuits",
        "Des associations donnent des cours de français gratuits à Paris.",
        ("cours de français", "apprendre le français", "FLE", "alphabétisation"),
    ),
    doc(
        "french-courses",
        "en",
        "Free French classes",
        "Associations give free French classes in Paris.",
        ("French classes", "learn French", "language course"),
    ),
    doc(
        "french-courses",
        "fa",
        "کلاس‌های رایگان زبان فرانسوی",
        "انجمن‌ها در پاریس کلاس رایگان زبان فرانسوی دارند.",
        ("کلاس فرانسوی", "یادگیری زبان", "رایگان"),
    ),
    doc(
        "asylum-registration",
        "fr",
        "Demander l'asile à Paris",
        "Pour demander l'asile, on passe par la SPADA puis le guichet unique (GUDA).",
        ("demande d'asile", "asile", "OFII", "GUDA", "SPADA", "empreintes"),
    ),
    doc(
        "asylum-registration",
        "ar",
        "طلب اللجوء في باريس",
        "لتقديم طلب اللجوء تبدأ بالمنصة ثم الشباك الموحد.",
        ("لجوء", "طلب لجوء", "OFII"),
    ),
    doc(
        "asylum-registration",
        "bn",
        "প্যারিসে আশ্রয়ের আবেদন",
        "আশ্রয়ের আবেদন করতে প্রথমে SPADA তে যেতে হবে।",
        ("আশ্রয়", "আবেদন", "OFII"),
    ),
    doc(
        "work-rights",
        "fr",
        "Le droit de travailler",
        "Le droit de travailler dépend de votre situation et de votre titre de séjour.",
        ("travail", "travailler", "autorisation de travail", "emploi"),
    ),
    doc(
        "work-rights",
        "ar",
        "الحق في العمل",
        "الحق في العمل يعتمد على وضعك وعلى تصريح الإقامة.",
        ("عمل", "شغل", "تصريح عمل"),
    ),
    doc(
        "legal-aid",
        "fr",
        "Aide juridique gratuite",
        "Des juristes et des avocats aident gratuitement, par exemple à la Cimade.",
        ("avocat", "juriste", "Cimade", "recours", "OQTF"),
    ),
    doc(
        "legal-aid",
        "en",
        "Free legal help",
        "Lawyers and legal advisers help for free, for example at the Cimade.",
        ("lawyer", "legal advice", "appeal", "OQTF"),
    ),
)


def top(index: SearchIndex, query: str, locale: str) -> str | None:
    hits = index.search(query, locale, limit=3)
    return hits[0].slug if hits else None
