"""The marks a guess word can earn, and the cosines that decide them where WordNet is silent.

Shared by the scorer (game.scoring.phrases, game.scoring.alignment) and the scorer before it
(game.scoring.baseline), so both speak of the same marks and thresholds.
"""

from __future__ import annotations

# The word is in the answer as it is / in another role / said in other words / not there.
EXACT, PRESENT, NEAR, ABSENT = "exact", "present", "near", "absent"

# Without a WordNet relation (a word WordNet lacks, or no WordNet), the embedding decides:
# "near" from a cosine of 0.76 (puppy~dog 0.80, automobile~car 0.87; cat~dog 0.66,
# car~truck 0.69), no credit below 0.5.
NEAR_THRESHOLD = 0.76
RELATED_THRESHOLD = 0.5
