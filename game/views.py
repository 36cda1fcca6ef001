"""The players' pages and the HTTP twin of the WebSocket (for networks that block sockets)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from game import conf, outages, protocol, ratelimit, services
from game.community import community_counts
from game.db import in_db_thread
from game.players import (
    BadCode,
    ensure_player,
    player_from_code,
    player_in_session,
    switch_player,
    transfer_code,
)
from game.validation import MAX_GUESS_CHARS, GuessRejected
from puzzles.calendar import puzzle_day
from puzzles.catch_up import ask_for_recovery
from puzzles.models import Puzzle


def _site_url(request: HttpRequest) -> str:
    return protocol.site_url(request.scheme or "http", request.get_host())


def _puzzle_or_404(number: int) -> Puzzle:
    puzzle = services.find_puzzle(number)
    if puzzle is None:
        raise Http404(f"There is no puzzle #{number} to play (yet).")
    return puzzle


def _play_page(request: HttpRequest, puzzle: Puzzle) -> HttpResponse:
    player = ensure_player(request.session)
    context = {
        "puzzle": puzzle,
        "is_today": puzzle.number == services.today_number(),
        "state": services.game_state(puzzle, player, _site_url(request)),
        "counts": community_counts(puzzle.pk),
        "config": {
            "number": puzzle.number,
            "socketPath": f"/ws/play/{puzzle.number}/",
            "statePath": reverse("game:state", args=[puzzle.number]),
            "guessPath": reverse("game:guess", args=[puzzle.number]),
            "csrfToken": get_token(request),
            "maxGuessChars": MAX_GUESS_CHARS,
            "closeCodes": protocol.close_codes(),
        },
    }
    return render(request, "game/play.html", context)


@require_GET
def today(request: HttpRequest) -> HttpResponse:
    puzzle = services.todays_puzzle()
    if puzzle is None:
        ensure_player(request.session)
        ask_for_recovery("today's page found no puzzle")
        return render(request, "game/no_puzzle.html", status=200)
    return _play_page(request, puzzle)


@require_GET
def puzzle_page(request: HttpRequest, number: int) -> HttpResponse:
    puzzle = services.find_puzzle(number)
    if puzzle is None and number == services.today_number():
        # Today's puzzle exists on the calendar but its pictures are not ready: say so.
        ensure_player(request.session)
        ask_for_recovery("today's page found no puzzle")
        return render(request, "game/no_puzzle.html", status=200)
    return _play_page(request, puzzle or _puzzle_or_404(number))


@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    player = ensure_player(request.session)
    entries = services.archive(player)
    next_unplayed = next((e for e in reversed(entries) if e["status"] == "new"), None)
    context = {"entries": entries, "next_unplayed": next_unplayed, "today": puzzle_day()}
    return render(request, "game/archive.html", context)


@require_GET
def how_to_play(request: HttpRequest) -> HttpResponse:
    return render(request, "game/how_to_play.html")


def stats(request: HttpRequest) -> HttpResponse:
    player = ensure_player(request.session)
    message, error = "", ""
    if request.method == "POST":
        try:
            other = player_from_code(request.POST.get("code", ""))
        except BadCode as bad:
            error = str(bad)
        else:
            moved = services.merge_players(player, other)
            switch_player(request.session, other)
            player = other
            message = "Stats imported: this browser now plays as the player of that code." + (
                f" {moved} game{'s' if moved != 1 else ''} from this browser came along."
                if moved
                else ""
            )
    elif request.method != "GET":
        return HttpResponse(status=405)
    context = {
        "stats": services.stats_for(player),
        "code": transfer_code(player),
        "message": message,
        "error": error,
    }
    return render(request, "game/stats.html", context, status=400 if error else 200)


# --- JSON and images: the HTTP path a page falls back to -----------------------------------------


def _player_or_none(request: HttpRequest) -> uuid.UUID | None:
    return player_in_session(request.session)


def _no_session() -> JsonResponse:
    return _error("no_session", "Reload the page to play.", 403)


def _error(code: str, message: str, status: int, reply_id: str | None = None) -> JsonResponse:
    response = JsonResponse(protocol.error_frame(code, message, reply_id), status=status)
    if status == 503:
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    return response


def _no_puzzle(number: int) -> JsonResponse:
    if number == services.today_number():
        message = "Today's pictures are still being drawn; try again in a little while."
        return _error("not_ready", message, 503)
    return _error("no_puzzle", f"There is no puzzle #{number} to play.", 404)


def _unavailable(where: str, error: BaseException, reply_id: str | None = None) -> JsonResponse:
    outages.report(where, error)
    return _error("unavailable", outages.UNAVAILABLE_MESSAGE, 503, reply_id)


@require_GET
def state(request: HttpRequest, number: int) -> JsonResponse:
    try:
        player = _player_or_none(request)
        if player is None:
            return _no_session()
        puzzle = services.find_puzzle(number)
        if puzzle is None:
            return _no_puzzle(number)
        game = services.game_state(puzzle, player, _site_url(request))
    except outages.SERVICE_ERRORS as error:
        return _unavailable("state", error)
    return JsonResponse(protocol.state_frame(game))


async def _malformed(request: HttpRequest, body: protocol.Malformed) -> JsonResponse:
    """A body the protocol cannot read: counted against the player's guesses (so that a
    session cannot send them without end), then answered with its code."""
    try:
        player = await in_db_thread(_player_or_none)(request)
        if player is None:
            return _no_session()
        limit, window = conf.guess_rate()
        wait = await ratelimit.seconds_to_wait(f"guess:{player}", limit, window)
    except outages.SERVICE_ERRORS as error:
        return _unavailable("guess", error)
    if wait:
        return _error("rate_limited", services.too_fast(wait).message, 429)
    return _error("bad_message", body.reason, 400)


@require_POST
async def guess(request: HttpRequest, number: int) -> JsonResponse:
    body: Any = protocol.parse_message(request.body)
    if isinstance(body, protocol.Malformed):
        return await _malformed(request, body)
    if not isinstance(body, dict):
        body = {}
    guess_id = body.get("id")
    reply_id = protocol.reply_id(guess_id)
    try:
        player = await in_db_thread(_player_or_none)(request)
        if player is None:
            return _no_session()
        puzzle = await in_db_thread(services.find_puzzle)(number)
        if puzzle is None:
            return await in_db_thread(_no_puzzle)(number)
        outcome = await services.submit_guess(
            puzzle, player, guess_id, body.get("text"), _site_url(request)
        )
    except GuessRejected as rejected:
        status = 429 if rejected.code == "rate_limited" else 400
        return _error(rejected.code, rejected.message, status, reply_id)
    except outages.SERVICE_ERRORS as error:
        return _unavailable("guess", error, reply_id)
    if not outcome.duplicate:
        try:
            await services.broadcast_player_update(player, number, sender="http")
        except outages.SERVICE_ERRORS as error:  # stored and scored: only other tabs miss it
            outages.report("guess broadcast", error)
    return JsonResponse(protocol.state_frame(outcome.state, reply_id, outcome.duplicate))


@require_GET
def image(request: HttpRequest, number: int, position: int) -> HttpResponseBase:
    player = _player_or_none(request)
    puzzle = _puzzle_or_404(number)
    file = services.image_file(puzzle, player, position) if player else None
    if file is None:
        # The same answer for "not yet revealed" and "no such picture": nothing to probe.
        raise Http404("This picture is not revealed yet.")
    response = FileResponse(file.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = f'inline; filename="sixfold-{number}-{position}.png"'
    return response
