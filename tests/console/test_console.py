"""The console driven with Pilot against the real sandbox cell."""

from __future__ import annotations

from functools import partial

import pytest
from textual.widgets import Checkbox, DataTable, Input, Static

from qckpt.backend.gridengine.queue_states import instance_states
from qckpt.backend.gridengine.queues import Target
from qckpt.tui.app import QckptApp, ViewCommands
from qckpt.tui.components.dialogs import ConfirmScreen, ErrorScreen, HelpScreen, ValueScreen
from qckpt.tui.components.env_form import EnvFormScreen
from qckpt.tui.settings import Settings
from tests.bad_inputs import valid_env
from tests.cell.jobs import submit, wait_until

pytestmark = pytest.mark.cell


def cellbar(app) -> str:
    return str(app.query_one("#cellbar", Static).render())


async def test_the_frame_shows_the_cell_and_the_environments(
    sandbox, ge, envs, name_for, screen_size, select_row, settle, shown_text
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        assert f"cell {sandbox.cell} @ {sandbox.host}" in cellbar(app)
        assert "root (manager)" in cellbar(app)
        table = app.query_one("#env-table", DataTable)
        assert env.name in [k.value for k in table.rows]
        await select_row(app, pilot, env.name)
        assert env.ckpt_command in shown_text(app.query_one("#env-details", Static))


async def test_add_through_the_form_validates_as_you_type(ge, envs, name_for, screen_size, settle):
    name = name_for()
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, EnvFormScreen)
        form.query_one("#ckpt_name", Input).value = name
        form.query_one("#ckpt_dir", Input).value = "/var/spool/ckpt"
        form.query_one("#ckpt_command", Input).value = "/opt/hook $HOME"
        await pilot.pause()
        assert "$HOME is not a pseudo-variable" in str(form.query_one("#err-ckpt_command").render())
        assert form.query_one("#apply").disabled
        form.query_one("#ckpt_command", Input).value = "/opt/hook checkpoint $job_id"
        await pilot.pause()
        assert not form.query_one("#apply").disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "ckpt_command       /opt/hook checkpoint $job_id" in app.screen.details
        await pilot.press("y")
        await settle(app, pilot)
        assert name in [k.value for k in app.query_one("#env-table", DataTable).rows]
    assert envs.get(name).ckpt_command == "/opt/hook checkpoint $job_id"


@pytest.fixture(name="tick_m_in_the_form")
def tick_m_in_the_form_fixture(settle, select_row):
    async def tick_m_in_the_form(app, pilot, name: str, meanwhile=None) -> None:
        """Open the edit form of `name`, tick `when` m and apply (`meanwhile`: a change made on
        the cell while the form is open)."""
        await settle(app, pilot)
        await select_row(app, pilot, name)
        await pilot.press("e")
        if meanwhile is not None:
            meanwhile()
        app.screen.query_one("#when-m", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)

    return tick_m_in_the_form


async def test_edit_shows_the_difference_and_applies_it(
    ge, envs, name_for, screen_size, settle, tick_m_in_the_form
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await tick_m_in_the_form(app, pilot, env.name)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.details == "when: xsr -> xsmr"
        await pilot.press("y")
        await settle(app, pilot)
    assert envs.get(env.name).when == "xsmr"


async def test_an_edit_is_refused_when_the_cell_changed_meanwhile(
    ge, envs, name_for, screen_size, tick_m_in_the_form
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        behind_the_back = partial(envs.edit, env.name, ckpt_dir="/elsewhere")
        await tick_m_in_the_form(app, pilot, env.name, meanwhile=behind_the_back)
        assert isinstance(app.screen, ErrorScreen)
        assert "Changed on the cell" in str(app.screen.title_text)
        assert "ckpt_dir: /var/spool/ckpt -> /elsewhere" in app.screen.message
    current = envs.get(env.name)
    assert (current.ckpt_dir, current.when) == ("/elsewhere", "xsr")


async def test_delete_of_a_referenced_object_shows_grid_engines_reason(
    ge, envs, queues, name_for, test_queue, screen_size, select_row, settle
):
    env = envs.add(valid_env(name_for()))
    queues.attach(env.name, Target(test_queue))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await select_row(app, pilot, env.name)
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert f'referenced in queue "{test_queue}"' in app.screen.message
    assert env.name in envs.names()


async def test_attach_and_detach_in_the_queues_view(
    ge, envs, queues, name_for, test_queue, screen_size, select_row, settle
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", *"queues", "enter")
        await settle(app, pilot)
        await select_row(app, pilot, test_queue)
        await pilot.press("a")
        assert isinstance(app.screen, ValueScreen)
        app.screen.query_one("#value", Input).value = env.name
        await pilot.press("enter")
        await settle(app, pilot)
        assert queues.get(test_queue).value("ckpt_list") == env.name
        row = [str(c) for c in app.query_one("#queue-table", DataTable).get_row(test_queue)]
        assert row[4] == env.name and row[2] == "ok"
        await pilot.press("d")
        app.screen.query_one("#value", Input).value = env.name
        await pilot.press("enter")
        await settle(app, pilot)
    assert queues.get(test_queue).value("ckpt_list") == "NONE"


async def test_read_only_mode_offers_and_makes_no_change(
    ge, envs, name_for, screen_size, select_row, settle
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60), read_only=True)
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        assert "READ ONLY" in cellbar(app)
        await select_row(app, pilot, env.name)
        for key in ("a", "e", "c", "ctrl+d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0], key
    assert envs.get(env.name) == env


async def test_slash_filters_the_table_and_escape_clears_it(
    ge, envs, name_for, screen_size, settle
):
    one, two = envs.add(valid_env(name_for())), envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *one.name)
        await pilot.pause()
        keys = [k.value for k in app.query_one("#env-table", DataTable).rows]
        assert keys == [one.name]
        await pilot.press("escape")
        await pilot.pause()
        keys = [k.value for k in app.query_one("#env-table", DataTable).rows]
        assert {one.name, two.name} <= set(keys)


async def test_a_binding_can_be_rebound_from_the_keymap(
    ge, envs, name_for, screen_size, select_row, settle
):
    env = envs.add(valid_env(name_for()))
    app = QckptApp(ge=ge, settings=Settings(refresh=60, keymap={"env.delete": "x"}))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await select_row(app, pilot, env.name)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Delete checkpoint environment {env.name}?"


async def test_the_palette_offers_the_current_views_actions(ge, screen_size, settle):
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", *"queues", "enter")
        await settle(app, pilot)
        provider = ViewCommands(app.screen)
        hits = [str(hit.text) async for hit in provider.search("attach")]
        assert hits == ["Attach"]
        hits = [str(hit.text) async for hit in provider.search("go to")]
        assert hits == ["Go to environments", "Go to queues", "Go to jobs", "Go to storage"]


async def test_question_mark_lists_the_keys_of_the_view(ge, screen_size, settle):
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        descriptions = [what for _key, what in app.screen.rows]
        assert "Clone" in descriptions and "Go to" in descriptions


async def test_a_template_fills_the_hook_commands(ge, screen_size, settle):
    app = QckptApp(ge=ge, settings=Settings(refresh=60), hooks_dir="/opt/qckpt")
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#ckpt_dir", Input).value = "/shared/ckpt"
        await pilot.click("#tpl-signal")
        await pilot.pause()
        command = app.screen.query_one("#migr_command", Input).value
        assert command.startswith("/opt/qckpt/qckpt-hook migrate --engine signal")
        assert "--signal USR2" in command


async def test_clone_asks_for_a_new_name(ge, envs, name_for, screen_size, select_row, settle):
    source = envs.add(valid_env(name_for()))
    target = name_for()
    app = QckptApp(ge=ge, settings=Settings(refresh=60))
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await select_row(app, pilot, source.name)
        await pilot.press("c")
        assert isinstance(app.screen, ValueScreen)
        app.screen.query_one("#value", Input).value = source.name  # taken: refused
        await pilot.pause()
        assert app.screen.query_one("#apply").disabled
        app.screen.query_one("#value", Input).value = target
        await pilot.press("enter")
        await settle(app, pilot)
    assert envs.get(target).with_changes(name=source.name) == source


async def test_queue_values_are_checked_before_they_are_set(
    ge, queues, test_queue, screen_size, select_row, settle
):
    app = QckptApp(ge=ge, settings=Settings(refresh=60), hooks_dir="/opt/qckpt")
    async with app.run_test(size=screen_size) as pilot:
        await settle(app, pilot)
        await app.switch_view("queues")
        await settle(app, pilot)
        await select_row(app, pilot, test_queue)
        await pilot.press("s")  # starter_method, offered as the installed qckpt-starter
        assert app.screen.query_one("#value", Input).value == "/opt/qckpt/qckpt-starter"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("i")
        box = app.screen.query_one("#value", Input)
        box.value = "ten minutes"
        await pilot.pause()
        assert "a time" in str(app.screen.query_one("#value-error").render())
        assert app.screen.query_one("#apply").disabled
        box.value = "00:10:00"
        await pilot.press("enter")
        await settle(app, pilot)
    queue = queues.get(test_queue)
    assert queue.value("starter_method") == "/opt/qckpt/qckpt-starter"
    assert queue.value("min_cpu_interval") == "00:10:00"


async def test_a_queue_in_error_state_shows_why_and_can_be_cleared(
    sandbox, ge, test_queue, screen_size, select_row, settle, shown_text
):
    ge.qconf("-mattr", "queue", "starter_method", "/nonexistent/qckpt-starter", test_queue)
    job = submit(ge, sandbox, "-q", test_queue, "-b", "y", "-o", "/dev/null", "/bin/true")
    name = f"{test_queue}@{sandbox.host}"
    try:
        wait_until(lambda: "E" in instance_states(ge)[name].states, 60, "the E state")
        app = QckptApp(ge=ge, settings=Settings(refresh=60))
        async with app.run_test(size=screen_size) as pilot:
            await settle(app, pilot)
            await app.switch_view("queues")
            await settle(app, pilot)
            await select_row(app, pilot, test_queue)
            table = app.query_one("#queue-table", DataTable)
            assert str(table.get_row(test_queue)[2]) == f"E@{sandbox.host}"
            shown = shown_text(app.query_one("#queue-details"))
            line = next(ln for ln in shown.splitlines() if ln.strip().startswith(name))
            assert line.split()[1:] == ["E", "(error)"] and "marked QERROR" in shown
            ge.qconf("-mattr", "queue", "starter_method", "NONE", test_queue)  # fixed
            ge.run(["qdel", job], check=False)
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmScreen)
            assert f"qmod -c {name}" in app.screen.details
            await pilot.press("y")
            await settle(app, pilot)
            assert str(table.get_row(test_queue)[2]) == "ok"
        assert instance_states(ge)[name].states == ""
    finally:
        ge.run(["qdel", job], check=False)
