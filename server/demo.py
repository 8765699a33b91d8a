"""`run.py --seed-demo`: a realistic demo directory for an empty store, made by the services."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from config import Settings
from hypee import clock
from models import availability, mentors, users
from server.lifecycle import start_services, stop_services
from services.container import Services

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
# (country, languages spoken there that mentors list); ZONES: a time zone of each, for hours
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
ZONES = {
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "BR": "America/Sao_Paulo",
    "JP": "Asia/Tokyo",
    "NG": "Africa/Lagos",
    "IN": "Asia/Kolkata",
    "US": "America/New_York",
    "GB": "Europe/London",
    "KE": "Africa/Nairobi",
    "MX": "America/Mexico_City",
    "IT": "Europe/Rome",
    "PL": "Europe/Warsaw",
    "CA": "America/Toronto",
    "SE": "Europe/Stockholm",
}
# The weekly hours every demo mentor offers, local to their country's zone.
DEMO_HOURS = [
    {"weekday": day, "start": start, "end": end}
    for day in range(5)
    for start, end in (("09:00", "12:00"), ("14:00", "17:00"))
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


def _mentor_profile(rng: random.Random, index: int) -> tuple[str, dict[str, Any]]:
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


QUESTIONS = [
    (
        "How do I switch from teaching to software engineering?",
        "I teach maths and code in my "
        "spare time. Where should I start, and how do I show employers I can do the job?",
        ["career-change", "python"],
    ),
    (
        "What should a junior developer's first open source contribution look like?",
        "I'd like to contribute but every project looks intimidating.",
        ["open-source"],
    ),
    (
        "How do I prepare for a system design interview?",
        "I have three weeks before an interview for a mid-level backend role.",
        ["interviews", "backend"],
    ),
    (
        "Is it worth learning Rust as a second language?",
        "I know Python well and wonder whether Rust or Go would teach me more.",
        ["rust", "go", "python"],
    ),
    (
        "How do I negotiate my first salary offer?",
        "The offer is below what I expected, and I am afraid of losing it.",
        ["career", "negotiation"],
    ),
    (
        "Which portfolio projects impress data science recruiters?",
        "Everyone seems to have the same Titanic notebook.",
        ["data-science", "portfolio"],
    ),
]
ANSWERS = [
    "Start with one small, finished project and write about what you learned; finished beats "
    "ambitious.",
    "Pick a tool you already use, read its contributing guide, and look for issues labelled "
    "'good first issue'. Documentation fixes count.",
    "Practise out loud with a friend: the interviewer wants to hear your trade-offs, not a "
    "perfect diagram.",
    "Whatever you choose, build the same small project in both languages and compare.",
]


async def _seed_forum(
    services: Services, rng: random.Random, mentor_ids: list[Any], mentee_ids: list[Any]
) -> int:
    """Questions from mentees answered, voted on and accepted through the real services, so the
    mentors' points come from forum activity like everyone else's."""
    forum = services.forum
    for title, body, tags in QUESTIONS:
        asker = rng.choice(mentee_ids)
        question = await forum.ask(asker, {"title": title, "body": body, "tags": tags})
        writers = rng.sample(mentor_ids, 3)
        replies = [
            await forum.answer(writer, {"question_id": question["_id"], "body": text})
            for writer, text in zip(writers, rng.sample(ANSWERS, 3), strict=True)
        ]
        for voter in rng.sample(mentee_ids + mentor_ids, 8):
            reply = rng.choice(replies)
            if voter != reply["author_id"]:
                await services.votes.vote("answer", reply["_id"], voter, 1)
            if voter != asker:
                await services.votes.vote("question", question["_id"], voter, 1)
        await forum.accept(rng.choice(replies)["_id"], asker, True)
    return len(QUESTIONS)


MODERATOR_EMAIL = "moderator@demo.hypee.dev"


async def seed_demo(settings: Settings) -> None:
    """Fill an empty store with demo accounts and print their logins; leave any other alone."""
    running = await start_services(settings)
    services = running.services
    # Demo data is not news: nobody is emailed or pushed about it.
    services.mailer.transport = None
    services.notifier.pushes_enabled = False
    try:
        db = services.db
        if await users.count(db) > 0:
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

        async def create(name: str, profile: dict[str, Any] | None, email: str) -> Any:
            role = "mentor" if profile else "mentee"
            data = {
                "email": email,
                "password": DEMO_PASSWORD,
                "display_name": name,
                "role": role,
                "email_verified": True,
            }
            user = await services.accounts.register(data)
            if profile:
                await mentors.set_profile(db, user["_id"], profile)
                hours = {"time_zone": ZONES[profile["country"]], "weekly": DEMO_HOURS}
                await availability.put(db, user["_id"], hours, clock.now())
            return user["_id"]

        mentor_ids = list(await asyncio.gather(*(create(*person) for person in people)))
        mentee_ids = list(await asyncio.gather(*(create(*person) for person in mentees)))
        asked = await _seed_forum(services, rng, mentor_ids, mentee_ids)
        moderator = await create("Morgan Reyes", None, MODERATOR_EMAIL)
        await services.moderation.set_role(None, moderator, "moderator", True, "demo moderator")
        print(
            f"Seeded {MENTOR_COUNT} mentors, {MENTEE_COUNT} mentees and {asked} answered "
            f"questions; every password is {DEMO_PASSWORD!r}."
        )
        print(f"Mentor logins: mentor1@demo.hypee.dev ... mentor{MENTOR_COUNT}@demo.hypee.dev")
        print("Mentee logins: " + ", ".join(email for _, _, email in mentees))
        print(f"Moderator login (the /moderation area): {MODERATOR_EMAIL}")
    finally:
        await stop_services(running)
