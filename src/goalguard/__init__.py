"""goalguard: strategic preference preservation (alignment-faking) experiments on Inspect AI."""
