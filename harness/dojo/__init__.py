"""The dojo: a group, one kata, a timer; and a room of teams on one dashboard page.

- local.py    the dojo on one machine: tests on save and on Enter, a countdown,
              rotations, a report per turn (report.py)
- lights.py   one traffic light per test run: red, amber or green
- client.py   a team's dojo posting each run to a room's dashboard (--join)
- room.py     a room: its teams, their runs, the checks every post passes
- server.py   `dojo serve`: the aiohttp app that serves the page (page/) and the room
- bench.py    `dojo bench`: the dashboard under load, and save-to-verdict on one kata
"""
