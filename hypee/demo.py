"""`run.py --seed-demo`: a realistic demo directory for an empty store, through the real models."""

from __future__ import annotations

import asyncio
import random

from config import Settings
from hypee.services import start_services, stop_services
from models import mentors, users

DEMO_PASSWORD = "hypee-demo-password"
MENTOR_COUNT = 48
MENTEE_COUNT = 6

FIRST_NAMES = [
    "José",
    "Amélie",
    "Zoë",
    "Björn",
    "Chiara",
    "Kwame",
    "Aiko",
    "Mateus",
    "Søren",
    "Priya",
    "Łukasz",
    "Nadia",
    "Tomás",
    "Hana",
    "Ingrid",
    "Olusegun",
    "Mei",
    "Rafael",
    "Élodie",
    "Kofi",
    "Yusuf",
    "Camila",
    "Dmitri",
    "Leilani",
    "Anaïs",
    "Hiroshi",
    "Fatima",
    "Gustavo",
    "Ana",
    "Raúl",
]
LAST_NAMES = [
    "García",
    "Müller",
    "Dubois",
    "Nakamura",
    "Okafor",
    "Rossi",
    "Silva",
    "Andersen",
    "Kowalski",
    "Haddad",
    "Nguyen",
    "Fernández",
    "Schmidt",
    "Mensah",
    "Sato",
    "Costa",
    "Lefèvre",
    "Öztürk",
]
# (country, languages spoken there that mentors list)
COUNTRIES = [
    ("FR", ["fr", "en"]),
    ("DE", ["de", "en"]),
    ("ES", ["es", "en"]),
    ("BR", ["pt", "en"]),
    ("JP", ["ja", "en"]),
    ("NG", ["en", "yo"]),
    ("IN", ["en", "hi"]),
    ("US", ["en", "es"]),
    ("GB", ["en"]),
    ("KE", ["en", "sw"]),
    ("MX", ["es", "en"]),
    ("IT", ["it", "en"]),
    ("PL", ["pl", "en"]),
    ("CA", ["en", "fr"]),
    ("SE", ["sv", "en"]),
]
SPECIALTIES = [
    "Python",
    "Go",
    "Rust",
    "Frontend",
    "React",
    "Data science",
    "Machine learning",
    "DevOps",
    "Product management",
    "UX design",
    "Career change",
    "Interview preparation",
    "Leadership",
    "Startups",
    "Security",
    "Mobile development",
    "Cloud architecture",
    "Open source",
]
ROLES = [
    "Senior backend engineer",
    "Staff engineer",
    "Engineering manager",
    "Data scientist",
    "Product manager",
    "Design lead",
    "Site reliability engineer",
    "CTO",
    "Mobile developer",
    "Security engineer",
    "Machine learning engineer",
    "Frontend architect",
]
COMPANIES = [
    "a fintech scale-up",
    "a public health NGO",
    "an e-commerce platform",
    "a games studio",
    "a climate-tech startup",
    "a bank",
    "a logistics company",
    "a university lab",
    "a SaaS company",
]
BIO_TEMPLATES = [
    "I have spent {years} years building software and love helping people grow into their next "
    "role. Happy to review code, CVs and career plans.",
    "After {years} years in the industry I mentor engineers on {topic} and on navigating their "
    "first years in tech. Weekly calls or async chat, your choice.",
    "I switched careers myself, so I know how daunting it is. {years} years later I help "
    "newcomers with {topic}, interviews and confidence.",
]


def _mentor_profile(rng: random.Random, index: int) -> tuple[str, dict]:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    country, languages = COUNTRIES[index % len(COUNTRIES)]
    specialties = rng.sample(SPECIALTIES, rng.randint(2, 4))
    years = rng.randint(2, 25)
    profile = {
        "headline": f"{rng.choice(ROLES)} at {rng.choice(COMPANIES)}",
        "bio": rng.choice(BIO_TEMPLATES).format(years=years, topic=specialties[0].lower()),
        "country": country,
        "specialties": specialties,
        "languages": languages,
        "years_experience": years,
        "available": rng.random() < 0.75,
    }
    return f"{first} {last}", profile


async def seed_demo(settings: Settings) -> None:
    """Fill an empty store with demo accounts and print their logins; leave any other alone."""
    services = await start_services(settings)
    try:
        db = services.db
        if await db[users.COLLECTION].count_documents({}, limit=1):
            print("The store already has users: nothing was seeded.")
            return
        rng = random.Random(2026)
        people = [
            (*_mentor_profile(rng, i), f"mentor{i + 1}@demo.hypee.dev") for i in range(MENTOR_COUNT)
        ]
        mentees = [
            (f"{FIRST_NAMES[-i - 1]} {LAST_NAMES[i]}", None, f"mentee{i + 1}@demo.hypee.dev")
            for i in range(MENTEE_COUNT)
        ]

        async def create(name: str, profile: dict | None, email: str) -> None:
            role = "mentor" if profile else "mentee"
            data = {"email": email, "password": DEMO_PASSWORD, "display_name": name, "role": role}
            user = await users.register(db, services.passwords, data)
            if profile:
                await db[users.COLLECTION].update_one(
                    {"_id": user["_id"]}, {"$set": {"points": rng.randint(0, 400)}}
                )
                await mentors.set_profile(db, user["_id"], profile)

        await asyncio.gather(*(create(*person) for person in people + mentees))
        print(
            f"Seeded {MENTOR_COUNT} mentors and {MENTEE_COUNT} mentees; "
            f"every password is {DEMO_PASSWORD!r}."
        )
        print(f"Mentor logins: mentor1@demo.hypee.dev ... mentor{MENTOR_COUNT}@demo.hypee.dev")
        print("Mentee logins: " + ", ".join(email for _, _, email in mentees))
    finally:
        await stop_services(services)
