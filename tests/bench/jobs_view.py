"""Helper of P5: open the console on the Jobs view and print, one `name value` a line:
the time until it shows every job, the process's resident memory, and the time of a sort,
a page-down and an unchanged refresh at that many rows, with the same page-down on the
Environments view (a few rows) as the anchor."""

from __future__ import annotations

import asyncio
import time

import psutil

from qckpt.tui.app import QckptApp
from qckpt.tui.settings import Settings


async def settled(app, pilot) -> None:
    await pilot.pause(0.05)
    while any(w.is_running for w in app.workers):
        await pilot.pause(0.02)


async def timed_key(pilot, key: str) -> float:
    started = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()  # its repaint done
    return time.perf_counter() - started


async def main() -> None:
    app = QckptApp(settings=Settings(refresh=3600))
    async with app.run_test(size=(140, 40)) as pilot:
        await app.workers.wait_for_complete()
        app.query_one("#env-table").focus()
        small = min([await timed_key(pilot, "pagedown") for _ in range(3)])
        started = time.perf_counter()
        await app.switch_view("jobs")
        await settled(app, pilot)
        print(f"shown {time.perf_counter() - started:.3f}")
        view = app.current_view()
        table = app.query_one("#job-table")
        print(f"rows {table.row_count}")
        print(f"rss_mb {psutil.Process().memory_info().rss / 2**20:.0f}")
        started = time.perf_counter()
        view.refresh_data()
        await settled(app, pilot)
        print(f"refresh {time.perf_counter() - started:.3f}")
        table.focus()
        pages = [await timed_key(pilot, "pagedown") for _ in range(5)]
        print(f"pagedown {min(pages):.3f}")
        print(f"small_pagedown {small:.3f}")
        started = time.perf_counter()
        view.sort_column = 1  # NAME
        view.apply_sort()
        await pilot.pause()
        print(f"sort {time.perf_counter() - started:.3f}")


asyncio.run(main())
