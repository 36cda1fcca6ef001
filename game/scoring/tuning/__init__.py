"""Tuning the scorer's sentence model to what a picture shows.

all-MiniLM-L6-v2 rates sentences by the words they share: "a cat chasing a ball in the park"
sits closer to "a dog chasing a ball in the park" than "a puppy running after a ball on a lawn"
does. This package teaches its top layers the game's sense of similarity, on triples written
here from the scene grammar of `scenes` and WordNet (`triples`): a picture said in other words
(synonyms, kinds of a thing, an attribute said as its material) must sit closer to its caption
than the same words around a different thing, place, value, action or order of roles. `train`
runs it (python manage.py tune_scorer); `layers` saves the tuned layers small enough to ship
and lays them over the packaged model when the scorer loads.
"""
