"""A reference population for the demo's representativeness check of UCI Adult."""

from __future__ import annotations

#: Shares of the 1990 U.S. Census (U.S. Census Bureau, 1990 Census of Population, General
#: Population Characteristics, 1990 CP-1-1; rounded), in the categories of UCI Adult's ``sex``
#: and ``race``. The census counts everyone; Adult holds working adults of the 1994 CPS, so
#: differences are expected — which is what a representativeness check is for.
US_CENSUS_1990 = {
    "source": "U.S. Census Bureau, 1990 Census of Population (1990 CP-1-1), rounded shares",
    "year": 1990,
    "marginals": {
        "sex": {"Female": 0.513, "Male": 0.487},
        "race": {
            "White": 0.803,
            "Black": 0.121,
            "Asian-Pac-Islander": 0.029,
            "Amer-Indian-Eskimo": 0.008,
            "Other": 0.039,
        },
    },
}
