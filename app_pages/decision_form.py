"""A finding's risk decisions on its page: the one in force, the audit trail, and a form to record
a decision or revoke one (docs/decisions.md).

The form calls ``ingest.decisions`` — the same writer as ``python -m ingest triage`` — and never
writes SQL. With sign-in configured only a signed-in user can decide, and the decision records that
user; without sign-in (local use) the form asks for a name. Reasons are shown as plain text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import streamlit as st

from analytics import decisions as reads
from app_pages.filters import View
from app_pages.signin import current_setup
from core.errors import FindingsError
from ingest import decisions

LABELS = {"accepted": "Accepted risk", "false_positive": "False positive", "wont_fix": "Won't fix"}


def _entry(r: object) -> str:
    g = r.__getattribute__
    when = f"{g('decided_at'):%Y-%m-%d %H:%M} UTC"
    if g("kind") == decisions.REVOKE:
        return f"{when}  revoked {g('revokes')} by {g('decided_by')}: {g('reason')}"
    expires = g("expires_at")
    until = "" if expires is None or expires != expires else f", expires {expires:%Y-%m-%d}"
    state = " [in force]" if bool(g("in_force")) else ""
    return f"{when}  {LABELS[g('kind')]} by {g('decided_by')}{until}{state}: {g('reason')} ({g('decision_id')})"


def _decider(user: str | None) -> tuple[bool, str | None]:
    """(may decide, who): a signed-in user; nobody when sign-in is configured and no one is signed in;
    without sign-in, the name typed into the form (asked there)."""
    if current_setup().enabled:
        return user is not None, user
    return True, None


def panel(view: View, finding_id: str, user: str | None) -> None:
    """The decisions section of one finding's page."""
    st.markdown("**Risk decisions**")
    with view.store.session():
        in_force = reads.decision_in_force(view.store, finding_id)
        history = reads.finding_decisions(view.store, finding_id)
    st.caption(f"In force: {LABELS[in_force]}" if in_force else "No decision in force: the finding counts as usual.")
    if history.empty:
        st.caption("No decision has been recorded for this finding.")
    else:  # the audit trail, oldest first, as plain text (reasons are user text)
        st.text("\n".join(_entry(r) for r in history.itertuples()))
    allowed, who = _decider(user)
    if not allowed:
        st.info("Sign in to record or revoke a decision.")
        return
    _decide_form(view, finding_id, who)
    active = history[history["in_force"].astype(bool)] if not history.empty else history
    if not active.empty:
        _revoke_form(view, [str(x) for x in active["decision_id"]], who)


def _decide_form(view: View, finding_id: str, who: str | None) -> None:
    default_expiry = date.today() + timedelta(days=view.settings.accept_days)
    with st.form("decision_form", clear_on_submit=True):
        kind = st.selectbox("Decision", list(LABELS), format_func=LABELS.__getitem__, key="decision_kind")
        reason = st.text_area("Reason (required)", key="decision_reason", max_chars=decisions.MAX_TEXT)
        expires = st.date_input(
            "Expires (required for accepted risk)",
            value=default_expiry,
            key="decision_expires",
            help="Clear it for a false positive or won't fix that does not expire.",
        )
        name = who or st.text_input("Your name (required without sign-in)", key="decision_by")
        if not st.form_submit_button("Record decision"):
            return
    when = datetime.combine(expires, datetime.min.time()) if isinstance(expires, date) else None
    try:
        d = decisions.decide(view.store, str(kind), decisions.Scope(finding_id), reason, name or "",
                             expires_at=when, settings=view.settings)  # fmt: skip
    except FindingsError as e:
        st.error(f"Not recorded: {e}")
        return
    st.success(f"Recorded: {LABELS[d.kind]} by {d.decided_by} (decision {d.decision_id}).")
    st.rerun()


def _revoke_form(view: View, ids: list[str], who: str | None) -> None:
    with st.form("revoke_form", clear_on_submit=True):
        target = st.selectbox("Decision to revoke", ids, key="revoke_id")
        reason = st.text_input("Reason for revoking (required)", key="revoke_reason")
        name = who or st.text_input("Your name (required without sign-in)", key="revoke_by")
        if not st.form_submit_button("Revoke decision"):
            return
    try:
        decisions.revoke(view.store, str(target), reason, name or "")
    except FindingsError as e:
        st.error(f"Not revoked: {e}")
        return
    st.rerun()
