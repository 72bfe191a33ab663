"""Kata 26 — streaming. Run: pytest katas/26_streaming"""

import gc
import hashlib
import random
import tracemalloc

from aiohttp import web

from harness.judge import assert_result, expect, fail, wrote

MB = 1024 * 1024
# A firmware image of 8 MB, served in 256 KiB pieces with its Content-Length.
IMAGE = random.Random(26).randbytes(8 * MB)
PIECE = 256 * 1024
# Streamed, the download holds 0.8 to 2.6 MB at its peak here (the session, the
# socket's buffers, a chunk or three when each is hashed in a thread); keeping the
# chunks holds the image, 8 MB, and reading it whole 16 MB (the body, then a copy).
# The bound is half the image, 4 MB: 1.5x above the most a stream takes, 2x below the
# least a kept image takes.
MEMORY_BOUND = len(IMAGE) // 2
# Streamed, 8 MB comes in chunks of at most 768 KiB here (iter_any while each chunk is
# hashed in a thread), so at least 11 reports; 8 proves they come as the image arrives.
MIN_REPORTS = 8
# A log streamed without a Content-Length (chunked transfer): 12 pieces, 2 ms apart.
LOG_PIECES = [f"sensor {n}: ok\n".encode() * 300 for n in range(12)]
CALL = "await download_digest(url, on_progress)"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def offer_image(service) -> str:
    async def serve_image(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(IMAGE)
        await response.prepare(request)
        view = memoryview(IMAGE)  # slices of it, not copies: the server adds little
        for start in range(0, len(IMAGE), PIECE):
            await response.write(view[start : start + PIECE])
        await response.write_eof()
        return response

    service.route("/firmware.bin", handler=serve_image)
    return service.url("/firmware.bin")


class Progress:
    """Stands in for on_progress: notes every (received, total) it is given."""

    __test__ = False

    def __init__(self) -> None:
        self.reports: list[tuple[int, int | None]] = []

    def __call__(self, received: int, total: int | None) -> None:
        self.reports.append((received, total))

    @property
    def received(self) -> list[int]:
        return [received for received, _ in self.reports]

    def shown(self) -> str:
        counts = self.received
        if len(counts) <= 6:
            return ", ".join(map(str, counts))
        return ", ".join(map(str, counts[:4])) + f", ... {counts[-1]} ({len(counts)} reports)"


async def peak_memory(awaitable) -> tuple[object, int]:
    """Await it while tracemalloc traces allocations: (its result, the peak in bytes)."""
    gc.collect()
    tracing_already = tracemalloc.is_tracing()
    if tracing_already:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        result = await awaitable
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not tracing_already:
            tracemalloc.stop()
    return result, peak


async def test_the_digest_is_the_sha256_of_the_whole_image(kata, service):
    """Hashing chunk by chunk (digest.update) gives the digest of the whole body."""
    url = offer_image(service)
    digest = await kata.download_digest(url, Progress())
    assert_digest(kata, digest, IMAGE)


async def test_an_eight_megabyte_image_never_takes_four_megabytes_of_memory(kata, service):
    """Streamed, memory holds a chunk at a time, whatever the size of the body."""
    url = offer_image(service)
    progress = Progress()
    digest, peak = await peak_memory(kata.download_digest(url, progress))
    if peak >= MEMORY_BOUND:
        if len(progress.reports) <= 1:
            how = "it read the whole image in one go"
        elif wrote(kata, "join") or wrote(kata, "append") or wrote(kata, "extend"):
            how = "it read the image in chunks, but kept them all"
        else:
            how = "the whole image was in memory at some point"
        fail(
            f"{CALL} held {peak / MB:.1f} MB at its peak for an {len(IMAGE) // MB} MB image: "
            f"{how}. Streamed, it stays well under {MEMORY_BOUND // MB} MB, whatever the size.",
            fix="hash each chunk as it arrives and keep none of them: `async for chunk in "
            "response.content.iter_chunked(CHUNK_SIZE): digest.update(chunk)`.",
        )
    assert_digest(kata, digest, IMAGE)


def assert_progress_counts_up_to(progress: Progress, size: int, what: str) -> None:
    """Reports came, each above the one before, the last at the full size."""
    __tracebackhide__ = True
    expect(
        progress.reports,
        f"{CALL} never called on_progress.",
        fix="call on_progress(received, total) after each chunk.",
    )
    counts = progress.received
    if counts[-1] != size and sum(counts) == size:
        fail(
            f"on_progress was given received = {progress.shown()}: each is one chunk's "
            "size (they add up to the whole), not the bytes received so far.",
            fix="keep a running total, `received += len(chunk)`, and report that.",
        )
    if any(later < earlier for earlier, later in zip(counts, counts[1:])):
        fail(
            f"on_progress was given received = {progress.shown()}: it should count up, "
            "the bytes received so far, never less than before.",
            fix="keep a running total, `received += len(chunk)`, and report that, not "
            "the chunk's own size.",
        )
    expect(
        counts[-1] == size,
        f"the last progress report said {counts[-1]} bytes received; {what} has {size}.",
        fix="report after every chunk, the last one included, with the running total.",
    )


def assert_digest(kata, digest: object, data: bytes) -> None:
    """The SHA-256 of all of `data`; a digest of one chunk is named as such."""
    __tracebackhide__ = True
    if isinstance(digest, str) and digest != sha256(data) and not wrote(kata, "update"):
        fail(
            f"{CALL} returned {digest!r}, not the SHA-256 of the whole body: a new hash "
            "per chunk only ever sees that chunk.",
            fix="make one `digest = hashlib.sha256()` before the loop, feed it every chunk "
            "with digest.update(chunk), and return digest.hexdigest() after it.",
        )
    assert_result(digest, sha256(data), call=CALL)


def totals_given(progress: Progress) -> str:
    return ", ".join(map(repr, sorted({total for _, total in progress.reports}, key=str)))


async def test_progress_counts_up_to_the_size_after_each_chunk(kata, service):
    """After each chunk: the bytes received so far, and the size the server announced."""
    url = offer_image(service)
    progress = Progress()
    await kata.download_digest(url, progress)
    size = len(IMAGE)
    if 0 < len(progress.reports) < MIN_REPORTS:
        fail(
            f"{CALL} called on_progress {len(progress.reports)} time(s) for an "
            f"{size // MB} MB image ({progress.shown()}): a progress bar that moves only "
            "at the end shows no progress.",
            fix="read the body in chunks (`async for chunk in response.content.iter_chunked("
            "CHUNK_SIZE)`) and report after each one.",
        )
    assert_progress_counts_up_to(progress, size, "the image")
    expect(
        {total for _, total in progress.reports} == {size},
        f"on_progress was given total = {totals_given(progress)}; the server announced "
        f"Content-Length: {size}.",
        fix="pass response.content_length as the total.",
    )


async def test_without_a_content_length_the_total_is_none(kata, service):
    """A body sent in chunked transfer has no size ahead: content_length is None."""
    service.route("/sensors.log", chunks=LOG_PIECES, chunk_delay=0.002)
    log = b"".join(LOG_PIECES)
    progress = Progress()
    digest = await kata.download_digest(service.url("/sensors.log"), progress)
    assert_progress_counts_up_to(progress, len(log), "the log")
    expect(
        {total for _, total in progress.reports} == {None},
        f"on_progress was given total = {totals_given(progress)} for a log sent without "
        "a Content-Length; it should be None.",
        fix="pass response.content_length, which is None when the server does not say.",
    )
    assert_digest(kata, digest, log)
