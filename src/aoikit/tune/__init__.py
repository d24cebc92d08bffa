"""Tuning GANomaly presets with Optuna: the LED study's three-stage random search on a validation split."""
