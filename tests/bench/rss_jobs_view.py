"""Helper of P5: open the console on the Jobs view, wait for it to show every job, print
the process's resident memory."""

from __future__ import annotations

import asyncio

import psutil

from qckpt.tui.app import QckptApp
from qckpt.tui.settings import Settings


async def main() -> None:
    app = QckptApp(settings=Settings(refresh=3600))
    async with app.run_test(size=(140, 40)) as pilot:
        await app.workers.wait_for_complete()
        await app.switch_view("jobs")
        for _ in range(600):
            await pilot.pause(0.1)
            if not any(w.is_running for w in app.workers):
                break
        rows = app.query_one("#job-table").row_count
        rss = psutil.Process().memory_info().rss / 2**20
        print(f"{rss:.0f} MB ({rows} rows)")


asyncio.run(main())
