"""The demo shops: their people, program, and a year of sales through the real checkout."""

from regulars.demo.seed import SEED, seed_if_empty
from regulars.demo.shops import SHOPS

__all__ = ["SEED", "SHOPS", "seed_if_empty"]
