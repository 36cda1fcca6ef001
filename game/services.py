"""What players do, as plain functions the views and the consumer call: look at a puzzle, guess,
read their stats and the community's figures.

Everything a browser receives is built by `game_state`, which holds the one rule that matters
most: no word of the answer leaves the server before the game is over, except the function
words shown from the start and the words the player has found.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from game import conf, progress_store, ratelimit, scoring_service
from game.community import community_counts, community_stats
from game.db import in_db_thread
from game.models import Guess, PlayerProgress
from game.rules import IMAGE_COUNT, MAX_GUESSES, images_revealed, play_turn, visible_tiles
from game.scoring.marking import GuessScore
from game.share import share_text
from game.stats import GameResult, PlayerStats, player_stats
from game.tabs import open_tabs, tabs_key, tell
from game.validation import GuessRejected, clean_guess, same_guess
from puzzles.calendar import puzzle_day, puzzle_number
from puzzles.models import Puzzle
from puzzles.services import published_puzzle_by_number, published_puzzle_for_day


def todays_puzzle() -> Puzzle | None:
    return published_puzzle_for_day(puzzle_day())


def find_puzzle(number: int) -> Puzzle | None:
    return published_puzzle_by_number(number)


def today_number() -> int:
    return puzzle_number(puzzle_day())


# --- What a player sees -------------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """What a page's socket needs when it connects: the puzzle, the game, the live counts."""

    puzzle: Puzzle
    state: dict[str, Any]
    counts: dict[str, int]


def opening(number: int, player: uuid.UUID, site_url: str) -> Opening | None:
    """Everything a connecting socket sends first, in one trip to a database thread; None when
    there is no such published puzzle."""
    puzzle = find_puzzle(number)
    if puzzle is None:
        return None
    return Opening(puzzle, game_state(puzzle, player, site_url), community_counts(puzzle.pk))


def progress_of(puzzle: Puzzle, player: uuid.UUID) -> PlayerProgress | None:
    return PlayerProgress.objects.filter(puzzle=puzzle, player=player).first()


def image_url(number: int, position: int) -> str:
    return _image_url(get_script_prefix(), number, position)


@functools.lru_cache(maxsize=1024)
def _image_url(script_prefix: str, number: int, position: int) -> str:
    # Every state sent carries up to six of these, and reverse() costs 0.1 ms of the guess
    # path's Python each; the prefix is part of the key because reverse() reads it.
    return reverse("game:image", args=[number, position])


def game_state(
    puzzle: Puzzle,
    player: uuid.UUID,
    site_url: str,
    stored: progress_store.StoredGame | None = None,
) -> dict[str, Any]:
    """The state of a player's game as sent to the browser (answer only once it is over).

    `stored` may be given when the caller has just read the game (else it is read here).
    """
    if stored is None:
        stored = progress_store.read_game(puzzle, player)
    progress, guesses = (stored.progress, stored.guesses) if stored else (None, [])
    answer = puzzle.prompt.text
    over = bool(progress and progress.is_over)
    found = progress.found if progress else []
    shown = images_revealed(len(guesses), over)
    state: dict[str, Any] = {
        "number": puzzle.number,
        "date": puzzle.date.isoformat(),
        "status": progress.state if progress else PlayerProgress.State.PLAYING,
        "maxGuesses": MAX_GUESSES,
        "imageCount": IMAGE_COUNT,
        "tiles": visible_tiles(answer, found, over),
        "guesses": [
            {
                "id": str(g.client_id),
                "text": g.text,
                "similarity": g.similarity,
                "marks": g.marks,
                "words": g.guess_marks,
            }
            for g in guesses
        ],
        "images": [image_url(puzzle.number, k) for k in range(1, shown + 1)],
        "best": progress.best_similarity if progress else 0.0,
        "answer": None,
        "share": None,
        "community": None,
    }
    if over and progress is not None:
        state["answer"] = answer
        state["share"] = _share(puzzle, progress, guesses, site_url)
        state["community"] = _community_result(puzzle, progress)
    return state


def _share(
    puzzle: Puzzle, progress: PlayerProgress, guesses: list[Guess], site_url: str
) -> dict[str, str]:
    url = (
        f"{conf.public_url() or site_url.rstrip('/')}{reverse('game:puzzle', args=[puzzle.number])}"
    )
    rows = [g.marks for g in guesses]
    won = progress.state == PlayerProgress.State.WON
    return {
        palette: share_text(puzzle.number, won, rows, progress.best_similarity, url, palette)
        for palette in ("standard", "high-contrast")
    }


def _community_result(puzzle: Puzzle, progress: PlayerProgress) -> dict[str, Any]:
    community = community_stats(puzzle.pk)
    won = progress.state == PlayerProgress.State.WON
    worse, others = community.worse_than(won, progress.guess_count)
    return {
        "distribution": community.distribution,
        "lost": community.lost,
        "finished": community.finished,
        "bars": community.bar_percents(),
        "betterThan": community.better_than_percent(won, progress.guess_count),
        # With few others a percentage misleads ("better than 100%" of one player): the page
        # then says "1 of the 2 other players" instead.
        "worse": worse,
        "others": others,
        "yours": progress.guess_count if won else None,
    }


def image_file(puzzle: Puzzle, player: uuid.UUID, position: int) -> FieldFile | None:
    """The file of picture `position`, or None while this player may not see it yet."""
    progress = progress_of(puzzle, player)
    over = bool(progress and progress.is_over)
    shown = images_revealed(progress.guess_count if progress else 0, over)
    if not 1 <= position <= shown:
        return None
    image = puzzle.images.filter(position=position).first()
    return image.file if image is not None else None


# --- Stats ---------------------------------------------------------------------------------------


def player_results(player: uuid.UUID) -> list[GameResult]:
    finished = (
        PlayerProgress.objects.filter(player=player)
        .exclude(state=PlayerProgress.State.PLAYING)
        .select_related("puzzle")
        .order_by("puzzle__number")
    )
    return [
        GameResult(p.puzzle.number, p.state == PlayerProgress.State.WON, p.guess_count, p.on_day)
        for p in finished
    ]


def stats_for(player: uuid.UUID) -> PlayerStats:
    return player_stats(player_results(player), today_number())


def merge_players(source: uuid.UUID, target: uuid.UUID) -> int:
    """Moves `source`'s games to `target` where `target` has not played that puzzle; returns
    how many moved (used when a player brings their stats code to a new browser)."""
    if source == target:
        return 0
    taken = PlayerProgress.objects.filter(player=target).values("puzzle_id")
    return (
        PlayerProgress.objects.filter(player=source)
        .exclude(puzzle_id__in=taken)
        .update(player=target)
    )


def archive(player: uuid.UUID) -> list[dict[str, Any]]:
    """Every published puzzle up to today, newest first, with this player's status."""
    puzzles = Puzzle.objects.filter(state=Puzzle.State.PUBLISHED, date__lte=puzzle_day()).order_by(
        "-number"
    )
    status = dict(PlayerProgress.objects.filter(player=player).values_list("puzzle_id", "state"))
    guesses = dict(
        PlayerProgress.objects.filter(player=player).values_list("puzzle_id", "guess_count")
    )
    return [
        {
            "number": p.number,
            "date": p.date,
            "status": status.get(p.pk, "new"),
            "guesses": guesses.get(p.pk, 0),
        }
        for p in puzzles
    ]


# --- Guessing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuessOutcome:
    state: dict[str, Any]  # the game after the guess, as game_state gives it
    duplicate: bool  # the guess had been counted already (sent again after a dropped link)


def parse_client_id(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise GuessRejected("This guess has no valid id; reload the page.", "bad_id") from None


def _check_playable(progress: PlayerProgress, earlier: list[Guess], text: str) -> None:
    if progress.is_over:
        raise GuessRejected("This game is over: come back for the next puzzle!", "game_over")
    for guess in earlier:
        if same_guess(guess.text, text):
            raise GuessRejected(f"You already guessed “{guess.text}”.", "repeated")


@dataclass(frozen=True)
class ScoredGuess:
    """A guess that passed validation and the rate limit, with its score: what gets stored."""

    puzzle: Puzzle
    player: uuid.UUID
    client_id: uuid.UUID
    text: str
    score: GuessScore


def _record(scored: ScoredGuess, site_url: str) -> GuessOutcome:
    try:
        with transaction.atomic():
            return _record_in_transaction(scored, site_url)
    except IntegrityError:
        # Another tab of this player stored a guess at the same moment: if it was this very
        # guess, it counts once; otherwise the player is told to look again.
        puzzle, player = scored.puzzle, scored.player
        if Guess.objects.filter(
            progress__puzzle=puzzle, progress__player=player, client_id=scored.client_id
        ).exists():
            return GuessOutcome(game_state(puzzle, player, site_url), duplicate=True)
        raise GuessRejected(
            "Another tab played at the same moment; here is the game as it stands now.", "busy"
        ) from None


def _record_in_transaction(scored: ScoredGuess, site_url: str) -> GuessOutcome:
    puzzle, player, score = scored.puzzle, scored.player, scored.score
    game = progress_store.lock_game(puzzle, player, on_day=puzzle.date == puzzle_day())
    progress, earlier = game.progress, game.guesses
    if any(g.client_id == scored.client_id for g in earlier):
        return GuessOutcome(game_state(puzzle, player, site_url, game), True)
    _check_playable(progress, earlier, scored.text)
    number = progress.guess_count + 1
    guess = Guess(
        progress=progress,
        number=number,
        client_id=scored.client_id,
        text=scored.text,
        similarity=score.similarity,
        marks=[m.state for m in score.marks],
        guess_marks=[[m.word, m.state] for m in score.guess_marks],
    )
    progress_store.add_guess(guess)
    turn = play_turn(puzzle.prompt.text, progress.found, score.marks, number)
    progress.guess_count = number
    progress.found = turn.found
    progress.state = turn.state
    progress.best_similarity = max(progress.best_similarity, score.similarity)
    fields = ["guess_count", "found", "state", "best_similarity", "updated_at"]
    if progress.is_over:
        progress.finished_at = timezone.now()
        fields.append("finished_at")
    progress_store.save_progress(progress, fields)
    state = game_state(
        puzzle, player, site_url, progress_store.StoredGame(progress, [*earlier, guess])
    )
    return GuessOutcome(state, duplicate=False)


def too_fast(wait: int) -> GuessRejected:
    """The answer to a player over their guess rate, who may guess again in `wait` seconds."""
    return GuessRejected(
        f"You are guessing very fast. Take a breath and try again in {wait} s.", "rate_limited"
    )


async def submit_guess(
    puzzle: Puzzle, player: uuid.UUID, client_id_raw: object, raw_text: object, site_url: str
) -> GuessOutcome:
    """Validates, scores and stores one guess, and returns the game after it; GuessRejected
    (nothing stored) when it cannot be played. A guess whose id was seen before is not counted
    again. `site_url` (scheme and host) goes into the share link once the game is over.

    The database is visited once, after scoring, in one transaction that makes every check
    (a copy of a stored guess, a game already over, the same words twice): a guess rejected
    there costs a score for nothing, which is rare, while a visit before scoring would cost
    every guess a second trip."""
    client_id = parse_client_id(client_id_raw)
    text = clean_guess(raw_text)
    answer = puzzle.prompt.text  # loaded with the puzzle
    if not scoring_service.holds_answer_vectors(puzzle.pk, answer):
        await in_db_thread(scoring_service.ensure_answer_vectors)(puzzle.pk, answer)
    limit, window = conf.guess_rate()
    # Only a guess id seen for the first time counts: resent copies of one guess (a page
    # retrying over HTTP while the socket answer is on its way) must not use up the limit.
    wait = await ratelimit.seconds_to_wait_once(
        f"guess-id:{player}:{client_id}", f"guess:{player}", limit, window
    )
    if wait:
        raise too_fast(wait)
    score = await scoring_service.score(answer, text)
    return await in_db_thread(_record)(
        ScoredGuess(puzzle, player, client_id, text, score), site_url
    )


async def broadcast_player_update(player: uuid.UUID, number: int, sender: str) -> None:
    """Tells the player's tabs on this puzzle that the game moved on (a guess made over HTTP
    while the page's socket was down)."""
    tabs = await open_tabs().members(tabs_key(player, number))
    await tell(tabs, {"type": "player.update", "sender": sender})
