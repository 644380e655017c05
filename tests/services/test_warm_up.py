"""The service warms the engine up at start, so the first call is not the slow one."""

from app.engine import scoring as engine_scoring
from app.engine.checklist import builtin_keys
from app.services.scoring import warm_up


def test_warm_up_compiles_every_builtin_checklist_before_the_first_request() -> None:
    engine_scoring._COMPILED.clear()

    warm_up()

    assert {key for key, _version in engine_scoring._COMPILED} == set(builtin_keys())
