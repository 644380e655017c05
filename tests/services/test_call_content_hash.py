"""Spec: a platform retrying a call stored before checklists could be assigned still gets a 200:
a call that names no checklist keeps the content hash it had then."""

from app.services.schemas import CallIn

# CallIn.content_hash() of this call on the code before assignments (commit afefc96).
HASH_BEFORE_ASSIGNMENTS = "0250bd64bf5b36a5f7d7c4f420adda0742139fd3dd2e8308b642ecca3c3b0b00"


def test_a_call_without_checklist_keeps_its_content_hash_from_before_assignments() -> None:
    call = CallIn.model_validate(
        {
            "external_id": "pbx-1",
            "manager_id": "m-anna",
            "team_id": "t-north",
            "started_at": "2026-03-02T23:30:00+03:00",
            "transcript": "Менеджер: Добрый день!",
        }
    )
    pinned = call.model_copy(update={"checklist_version": "abc"})

    assert call.content_hash() == HASH_BEFORE_ASSIGNMENTS
    assert pinned.content_hash() != HASH_BEFORE_ASSIGNMENTS
