"""Who lives in the demo force: census counts and deprivation ranks for every LSOA.

Pure NumPy. Each LSOA's population is a mixture of a few community profiles whose weights
fall off with distance from where those communities live: a diverse city centre with
Indian, Pakistani and Bangladeshi, Black African and Caribbean and Polish communities, a
student quarter by the campus, market towns, and older villages. Counts are drawn with a
multinomial, so the categories of every topic add up to the LSOA's total exactly.
Deprivation follows the same places (the inner city most deprived, villages least, but
rural areas worst for barriers to housing and services), as national ranks 1..32,844.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .geography import Geography

NATIONAL_LSOAS = 32844  # LSOAs in England in the 2019 indices

AGE_BANDS = (
    "Aged 4 years and under",
    "Aged 5 to 9 years",
    "Aged 10 to 14 years",
    "Aged 15 to 19 years",
    "Aged 20 to 24 years",
    "Aged 25 to 29 years",
    "Aged 30 to 34 years",
    "Aged 35 to 39 years",
    "Aged 40 to 44 years",
    "Aged 45 to 49 years",
    "Aged 50 to 54 years",
    "Aged 55 to 59 years",
    "Aged 60 to 64 years",
    "Aged 65 to 69 years",
    "Aged 70 to 74 years",
    "Aged 75 to 79 years",
    "Aged 80 to 84 years",
    "Aged 85 years and over",
)
# Shares of each band (per cent), roughly England and Wales in 2021, and three variations.
AGE_PROFILES = {
    "england": (5.4, 5.9, 6.0, 5.6, 6.0, 6.7, 6.9, 6.6, 6.3, 6.4, 6.9, 6.7, 5.8, 5.0, 5.0, 3.6, 2.4, 2.4),
    "student": (1.0, 1.0, 1.2, 24.0, 46.0, 9.0, 4.0, 2.5, 2.0, 1.8, 1.7, 1.5, 1.2, 0.9, 0.7, 0.5, 0.5, 0.5),
    "young_family": (8.0, 8.2, 7.8, 7.0, 7.2, 8.0, 8.4, 7.6, 6.6, 5.8, 5.2, 4.4, 3.6, 2.8, 2.6, 1.9, 1.2, 0.9),
    "older": (3.4, 4.2, 4.8, 4.6, 3.3, 3.6, 4.2, 4.6, 5.0, 6.0, 7.4, 8.0, 8.2, 8.0, 8.2, 6.4, 4.6, 4.2),
}

# Ethnic groups (Census 2021, 19 categories) as (high-level group, category).
ETHNIC_GROUPS = (
    ("Asian, Asian British or Asian Welsh", "Bangladeshi"),
    ("Asian, Asian British or Asian Welsh", "Chinese"),
    ("Asian, Asian British or Asian Welsh", "Indian"),
    ("Asian, Asian British or Asian Welsh", "Pakistani"),
    ("Asian, Asian British or Asian Welsh", "Other Asian"),
    ("Black, Black British, Black Welsh, Caribbean or African", "African"),
    ("Black, Black British, Black Welsh, Caribbean or African", "Caribbean"),
    ("Black, Black British, Black Welsh, Caribbean or African", "Other Black"),
    ("Mixed or Multiple ethnic groups", "White and Asian"),
    ("Mixed or Multiple ethnic groups", "White and Black African"),
    ("Mixed or Multiple ethnic groups", "White and Black Caribbean"),
    ("Mixed or Multiple ethnic groups", "Other Mixed or Multiple ethnic groups"),
    ("White", "English, Welsh, Scottish, Northern Irish or British"),
    ("White", "Irish"),
    ("White", "Gypsy or Irish Traveller"),
    ("White", "Roma"),
    ("White", "Other White"),
    ("Other ethnic group", "Arab"),
    ("Other ethnic group", "Any other ethnic group"),
)
_E = {name: i for i, (_, name) in enumerate(ETHNIC_GROUPS)}


def _ethnic(**shares: float) -> np.ndarray:
    vector = np.zeros(len(ETHNIC_GROUPS))
    for key, share in shares.items():
        vector[_E[_KEYS[key]]] = share
    return vector / vector.sum()


_KEYS = {
    "bangladeshi": "Bangladeshi",
    "chinese": "Chinese",
    "indian": "Indian",
    "pakistani": "Pakistani",
    "other_asian": "Other Asian",
    "african": "African",
    "caribbean": "Caribbean",
    "other_black": "Other Black",
    "white_asian": "White and Asian",
    "white_black_african": "White and Black African",
    "white_black_caribbean": "White and Black Caribbean",
    "other_mixed": "Other Mixed or Multiple ethnic groups",
    "british": "English, Welsh, Scottish, Northern Irish or British",
    "irish": "Irish",
    "gypsy": "Gypsy or Irish Traveller",
    "roma": "Roma",
    "other_white": "Other White",
    "arab": "Arab",
    "any_other": "Any other ethnic group",
}

# Community profiles: the make-up of a street where that community is most of the population.
ETHNIC_PROFILES = {
    "rural": _ethnic(
        british=95.0,
        irish=0.5,
        gypsy=0.3,
        other_white=2.0,
        white_asian=0.3,
        white_black_caribbean=0.3,
        other_mixed=0.3,
        indian=0.4,
        chinese=0.2,
        other_asian=0.2,
        african=0.2,
        any_other=0.2,
    ),
    "city": _ethnic(
        british=72.0,
        irish=0.9,
        other_white=5.0,
        roma=0.2,
        white_asian=1.2,
        white_black_african=0.6,
        white_black_caribbean=1.4,
        other_mixed=1.0,
        indian=5.0,
        pakistani=2.5,
        bangladeshi=0.8,
        chinese=1.2,
        other_asian=1.6,
        african=3.0,
        caribbean=1.4,
        other_black=0.5,
        arab=0.6,
        any_other=1.1,
    ),
    "indian": _ethnic(
        indian=66.0,
        pakistani=4.0,
        bangladeshi=1.0,
        other_asian=5.0,
        british=14.0,
        other_white=2.0,
        white_asian=1.5,
        african=2.0,
        other_mixed=1.0,
        any_other=3.5,
    ),
    "muslim_asian": _ethnic(
        pakistani=40.0,
        bangladeshi=18.0,
        indian=9.0,
        other_asian=5.0,
        african=8.0,
        arab=4.0,
        british=9.0,
        other_white=2.0,
        white_asian=1.0,
        any_other=4.0,
    ),
    "black": _ethnic(
        african=38.0,
        caribbean=16.0,
        other_black=6.0,
        white_black_caribbean=6.0,
        white_black_african=3.0,
        other_mixed=2.0,
        british=22.0,
        other_white=3.0,
        any_other=4.0,
    ),
    "polish": _ethnic(
        other_white=58.0,
        roma=3.0,
        british=33.0,
        irish=0.5,
        other_mixed=1.0,
        any_other=1.5,
        african=1.0,
        indian=2.0,
    ),
    "student": _ethnic(
        british=56.0,
        chinese=12.0,
        other_asian=5.0,
        indian=5.0,
        african=4.0,
        other_white=8.0,
        other_mixed=2.5,
        white_asian=2.0,
        arab=2.0,
        any_other=3.5,
    ),
}

RELIGIONS = (
    "No religion",
    "Christian",
    "Buddhist",
    "Hindu",
    "Jewish",
    "Muslim",
    "Sikh",
    "Other religion",
    "Not answered",
)
_R = {name: i for i, name in enumerate(RELIGIONS)}


def _religion(**shares: float) -> np.ndarray:
    names = {
        "none": "No religion",
        "christian": "Christian",
        "buddhist": "Buddhist",
        "hindu": "Hindu",
        "jewish": "Jewish",
        "muslim": "Muslim",
        "sikh": "Sikh",
        "other": "Other religion",
        "not_answered": "Not answered",
    }
    vector = np.zeros(len(RELIGIONS))
    for key, share in shares.items():
        vector[_R[names[key]]] = share
    return vector / vector.sum()


# Religion given ethnic group, so that the two topics agree with each other.
RELIGION_BY_ETHNIC = {
    "Bangladeshi": _religion(muslim=92, none=2, not_answered=4, hindu=1, other=1),
    "Chinese": _religion(none=56, christian=20, buddhist=14, not_answered=8, other=2),
    "Indian": _religion(hindu=52, sikh=20, muslim=14, christian=5, none=4, not_answered=4, other=1),
    "Pakistani": _religion(muslim=93, none=2, not_answered=4, christian=1),
    "Other Asian": _religion(muslim=26, hindu=20, christian=18, buddhist=14, none=10, not_answered=8, other=4),
    "African": _religion(christian=58, muslim=30, none=5, not_answered=6, other=1),
    "Caribbean": _religion(christian=54, none=32, not_answered=8, other=3, muslim=3),
    "Other Black": _religion(christian=44, muslim=26, none=18, not_answered=10, other=2),
    "White and Asian": _religion(none=45, christian=27, muslim=12, hindu=4, not_answered=9, other=3),
    "White and Black African": _religion(christian=44, none=35, muslim=10, not_answered=10, other=1),
    "White and Black Caribbean": _religion(none=52, christian=36, not_answered=9, muslim=2, other=1),
    "Other Mixed or Multiple ethnic groups": _religion(
        none=44, christian=30, muslim=12, not_answered=9, buddhist=2, other=3
    ),
    "English, Welsh, Scottish, Northern Irish or British": _religion(
        none=42, christian=49, not_answered=6.5, other=0.8, jewish=0.4, buddhist=0.3, muslim=0.5, hindu=0.1
    ),
    "Irish": _religion(christian=72, none=20, not_answered=7, other=1),
    "Gypsy or Irish Traveller": _religion(christian=72, none=18, not_answered=9, other=1),
    "Roma": _religion(christian=78, none=10, muslim=5, not_answered=7),
    "Other White": _religion(christian=68, none=22, not_answered=6, muslim=2, jewish=1, other=1),
    "Arab": _religion(muslim=82, christian=7, none=5, not_answered=6),
    "Any other ethnic group": _religion(muslim=42, christian=18, none=14, not_answered=12, sikh=4, hindu=4, other=6),
}

# Share whose main language is not English, by ethnic group (Census 2021 order of magnitude).
NOT_ENGLISH_BY_ETHNIC = {
    "Bangladeshi": 0.42,
    "Chinese": 0.62,
    "Indian": 0.36,
    "Pakistani": 0.30,
    "Other Asian": 0.55,
    "African": 0.34,
    "Caribbean": 0.02,
    "Other Black": 0.22,
    "White and Asian": 0.05,
    "White and Black African": 0.06,
    "White and Black Caribbean": 0.01,
    "Other Mixed or Multiple ethnic groups": 0.10,
    "English, Welsh, Scottish, Northern Irish or British": 0.002,
    "Irish": 0.01,
    "Gypsy or Irish Traveller": 0.04,
    "Roma": 0.85,
    "Other White": 0.68,
    "Arab": 0.70,
    "Any other ethnic group": 0.52,
}
PROFICIENCY = (
    "Main language is English (English or Welsh in Wales)",
    "Main language is not English (English or Welsh in Wales): Can speak English very well",
    "Main language is not English (English or Welsh in Wales): Can speak English well",
    "Main language is not English (English or Welsh in Wales): Cannot speak English well",
    "Main language is not English (English or Welsh in Wales): Cannot speak English",
)
SEXES = ("Female", "Male")

DOMAINS = ("income", "employment", "education", "health", "crime", "housing", "living_environment")
# IMD 2019 domain weights.
DOMAIN_WEIGHTS = {
    "income": 0.225,
    "employment": 0.225,
    "education": 0.135,
    "health": 0.135,
    "crime": 0.093,
    "housing": 0.093,
    "living_environment": 0.093,
}


@dataclass
class LsoaPeople:
    """Census 2021 counts and IoD 2019 ranks for one LSOA."""

    total: int
    age: list[int]
    sex: list[int]
    ethnic: list[int]
    religion: list[int]
    proficiency: list[int]  # residents aged 3 and over
    ranks: dict[str, int] = field(default_factory=dict)  # "imd" and each domain
    population_2015: dict[str, int] = field(default_factory=dict)

    @property
    def aged_3_and_over(self) -> int:
        return sum(self.proficiency)


def decile(rank: int) -> int:
    """The IoD decile of a national rank (1 = most deprived tenth), as published."""
    return (10 * rank + NATIONAL_LSOAS - 1) // NATIONAL_LSOAS


# How strongly a community dominates the streets at its heart, against the city's general mix.
COMMUNITY_WEIGHT = 5.0


def _kernel(distance: float, spread: float) -> float:
    return math.exp(-(distance**2) / (2 * spread**2))


def _communities(geography: Geography, rng: np.random.Generator) -> dict[str, tuple[tuple[float, float], float]]:
    """Where each community lives: a centre (km) and a spread, placed around the city."""
    cx, cy = geography.city_centre
    turn = rng.uniform(0, 2 * math.pi)
    places: dict[str, tuple[tuple[float, float], float]] = {}
    for k, (name, reach, spread) in enumerate(
        (("indian", 1.9, 0.75), ("muslim_asian", 1.6, 0.65), ("black", 1.5, 0.7), ("polish", 1.1, 0.7))
    ):
        angle = turn + k * math.pi / 2 + rng.uniform(-0.4, 0.4)
        places[name] = ((cx + reach * math.cos(angle), cy + reach * math.sin(angle)), spread)
    return places


def synthesise(geography: Geography) -> list[LsoaPeople]:
    """Census counts and deprivation for every LSOA, in the order of `geography.lsoas`."""
    rng = np.random.default_rng(geography.seed + 1)
    places = _communities(geography, rng)
    people: list[LsoaPeople] = []
    latent: dict[str, list[float]] = {name: [] for name in ("imd", *DOMAINS)}
    for lsoa in geography.lsoas:
        i = lsoa.index
        d_city = geography.distance_km(i, geography.city_centre)
        d_campus = geography.distance_km(i, geography.campus)
        d_town = min(geography.distance_km(i, town) for town in geography.towns)
        urban = _kernel(d_city, 3.0)
        inner = _kernel(d_city, 1.3)
        student = _kernel(d_campus, 0.7)
        town = _kernel(d_town, 1.2)
        weights = {
            name: COMMUNITY_WEIGHT * _kernel(geography.distance_km(i, centre), spread)
            for name, (centre, spread) in places.items()
        }
        # Polish families also work the farms and packhouses around the fen market town.
        fen_town = geography.towns[1]
        weights["polish"] += 0.5 * _kernel(geography.distance_km(i, fen_town), 1.0)
        weights["student"] = 4.0 * student
        weights["city"] = 1.4 * urban
        weights["rural"] = max(0.05, 1.0 - urban)
        mix = np.sum([w * ETHNIC_PROFILES[name] for name, w in weights.items()], axis=0)
        ethnic_share = rng.dirichlet(400 * mix / mix.sum() + 0.02)

        diverse = (weights["indian"] + weights["muslim_asian"] + weights["black"]) / COMMUNITY_WEIGHT
        rurality = 1.0 - max(urban, town)
        age_mix = (
            1.0 * np.array(AGE_PROFILES["england"])
            + 4.0 * student * np.array(AGE_PROFILES["student"])
            + 1.2 * min(1.0, diverse) * np.array(AGE_PROFILES["young_family"])
            + 1.1 * rurality * np.array(AGE_PROFILES["older"])
        )
        age_share = rng.dirichlet(600 * age_mix / age_mix.sum())

        total = round(float(rng.normal(1650, 190)) * (1.0 + 0.9 * student) * (0.92 if rurality > 0.6 else 1.0))
        total = max(1000, min(total, 3400))
        age = rng.multinomial(total, age_share).tolist()
        older_share = sum(age[13:]) / total
        female = 0.506 + 0.08 * (older_share - 0.2) - 0.015 * student + rng.normal(0, 0.006)
        n_female = int(rng.binomial(total, min(max(female, 0.45), 0.56)))
        ethnic = rng.multinomial(total, ethnic_share).tolist()

        religion_mix = np.zeros(len(RELIGIONS))
        not_english = 0.0
        for (_, name), count in zip(ETHNIC_GROUPS, ethnic, strict=True):
            shares = RELIGION_BY_ETHNIC[name].copy()
            if name.startswith("English") and student > 0.2:
                shares[_R["No religion"]] += 0.2 * student  # students are less religious
                shares /= shares.sum()
            religion_mix += count * shares
            not_english += count * NOT_ENGLISH_BY_ETHNIC[name]
        religion = rng.multinomial(total, religion_mix / total).tolist()

        # Proficiency in English counts residents aged 3 and over: about 3/5 of the 0-4 band.
        under_3 = round(age[0] * 0.6)
        aged_3 = total - under_3
        p_not = min(0.9, not_english / total)
        # Students whose main language is not English mostly speak it very well.
        skill = np.array([0.46 + 0.3 * student, 0.31, 0.18 - 0.1 * student, 0.05 - 0.03 * student])
        skill = np.clip(skill, 0.01, None)
        skill = skill / skill.sum()
        proficiency = rng.multinomial(aged_3, np.concatenate([[1 - p_not], p_not * skill])).tolist()

        people.append(
            LsoaPeople(
                total=total,
                age=age,
                sex=[n_female, total - n_female],
                ethnic=ethnic,
                religion=religion,
                proficiency=proficiency,
            )
        )

        # Deprivation scores (higher = more deprived), turned into national ranks below.
        base = 1.3 * inner + 0.45 * urban + 0.55 * min(1.5, diverse) + 0.25 * student - 0.5 * rurality + 0.25 * town
        base += rng.normal(0, 0.45)
        scores = {
            "income": base + rng.normal(0, 0.25),
            "employment": base + rng.normal(0, 0.3) - 0.3 * student,
            "education": 0.9 * base - 1.4 * student + rng.normal(0, 0.4),
            "health": 0.85 * base + 0.3 * older_share + rng.normal(0, 0.4) - 0.5 * student,
            "crime": 0.7 * base + 0.9 * inner + 0.3 * town + rng.normal(0, 0.4),
            "housing": -0.25 * base + 1.4 * rurality + 0.6 * min(1.5, diverse) + rng.normal(0, 0.5),
            "living_environment": 0.5 * base + 0.8 * inner + 0.6 * rurality + rng.normal(0, 0.5),
        }
        scores["imd"] = sum(DOMAIN_WEIGHTS[name] * scores[name] for name in DOMAINS)
        for name, score in scores.items():
            latent[name].append(score)

    for name, values in latent.items():
        for person, rank in zip(people, _national_ranks(np.array(values), rng), strict=True):
            person.ranks[name] = rank
    for person in people:
        person.population_2015 = _population_2015(person, rng)
    return people


def _national_ranks(scores: np.ndarray, rng: np.random.Generator) -> list[int]:
    """Place standardised scores on England's scale: rank 1 is the most deprived LSOA.

    The force sits a little less deprived than England overall (as most county forces do),
    and no two of its LSOAs share a rank, as in the published files.
    """
    z = (scores - scores.mean()) / scores.std()
    # Normal cumulative distribution via erf; a higher score (more deprived) gives a lower rank.
    share = 0.5 * (1 + np.vectorize(math.erf)((-1.05 * z - 0.12) / math.sqrt(2)))
    ranks = np.clip(np.ceil(share * NATIONAL_LSOAS), 1, NATIONAL_LSOAS).astype(int)
    taken: set[int] = set()
    result: list[int] = []
    for rank in ranks.tolist():
        while rank in taken:
            rank = rank + 1 if rank < NATIONAL_LSOAS else int(rng.integers(1, NATIONAL_LSOAS + 1))
        taken.add(rank)
        result.append(rank)
    return result


def _population_2015(person: LsoaPeople, rng: np.random.Generator) -> dict[str, int]:
    """File 6's mid-2015 denominators: a few per cent below the 2021 census, same age shape."""
    scale = rng.uniform(0.93, 0.99)
    age = [a * scale for a in person.age]
    children = round(age[0] + age[1] + age[2] + 0.2 * age[3])
    older = round(sum(age[12:]))
    total = round(person.total * scale)
    middle = total - children - older
    # 18-59 (women) / 18-64 (men): drop the 16-17s, add about half of the 60-64 band.
    working = round(middle - 0.4 * age[3] + 0.5 * age[12])
    return {
        "total": total,
        "children": children,
        "middle": middle,
        "older": older,
        "working_age": working,
    }
