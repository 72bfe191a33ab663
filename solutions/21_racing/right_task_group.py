"""Accepted: a TaskGroup that is ended by the first answer. The winning task raises
Won, which makes the group cancel the other downloads; errors are collected as each
mirror fails. The group also cancels every download when the race is cancelled."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


class Won(Exception):
    """Raised by the first download that succeeds, to end the race."""

    def __init__(self, package: dict) -> None:
        super().__init__("a mirror answered")
        self.package = package


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    errors: list[Exception] = []

    async def attempt(url: str) -> None:
        try:
            answer = await download(session, url, package)
        except aiohttp.ClientError as error:
            errors.append(error)
            return
        raise Won(answer)

    winner = None
    try:
        async with asyncio.TaskGroup() as group:
            for url in mirror_urls:
                group.create_task(attempt(url))
    except* Won as won:
        winner = won.exceptions[0].package  # `return` is not allowed in an except* block
    if winner is not None:
        return winner
    raise ExceptionGroup(f"all {len(errors)} mirrors failed", errors)
