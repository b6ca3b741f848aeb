"""``goalguard label``'s terminal app (Textual): one transcript at a time, labelled by keys.

The screen shows the item's place in the draw, its condition, scenario and model; the
query, scratchpad, output and probe answer (scrollable); the labels set so far; and a
help line of keys. The classifier's labels (and the stratum, which would give them away)
stay hidden until ``c`` is pressed, so they cannot anchor the person labelling.

Keys: af_reasoning ``y`` yes, ``n`` no, ``u`` unclear; compliance ``f`` full, ``p`` partial,
``r`` refusal, ``e`` unclear (nothing readable reached the user); setup_doubt ``d`` yes
(it doubts), ``t`` no (it trusts the setup), ``h`` unclear (a hint only); ``enter`` saves
and goes to the next unlabelled item; ``s`` skips (nothing written); ``b`` goes back;
``c`` shows or hides the classifier; ``q`` quits (asking once more when the item shown has
labels not saved). Arrows, PgUp/PgDn, Home/End scroll.
"""

from __future__ import annotations

from typing import ClassVar, Final

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from goalguard.label.source import LabelItem
from goalguard.label.store import HUMAN_LABELS, DrawInfo, LabelFile, make_record

LABEL_KEYS: Final[dict[str, tuple[str, str]]] = {
    "y": ("af_reasoning", "yes"),
    "n": ("af_reasoning", "no"),
    "u": ("af_reasoning", "unclear"),
    "f": ("compliance", "full"),
    "p": ("compliance", "partial"),
    "r": ("compliance", "refusal"),
    "e": ("compliance", "unclear"),
    "d": ("setup_doubt", "yes"),
    "t": ("setup_doubt", "no"),
    "h": ("setup_doubt", "unclear"),
}
"""Key -> (label, value); every label in ``HUMAN_LABELS`` has a key for each value."""

HELP: Final = (
    "AF reasoning: y yes  n no  u unclear    setup doubt: d yes  t no  h unclear\n"
    "compliance: f full  p partial  r refusal  e unclear (nothing readable)\n"
    "enter save+next  s skip  b back  c classifier  ↑↓ PgUp/PgDn scroll  q quit"
)
EMPTY: Final = "(empty)"


class LabelApp(App[int]):
    """Label ``items`` into ``store``; returns the number of items labelled in the file."""

    TITLE = "goalguard label"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #status { height: auto; background: $primary-background; padding: 0 1; }
    #transcript { height: 1fr; }
    .part { border: round $secondary; padding: 0 1; height: auto; }
    #classifier { height: auto; border: round $warning; padding: 0 1; }
    #yours { height: auto; padding: 0 1; background: $boost; }
    #message { height: auto; padding: 0 1; color: $warning; }
    #help { height: auto; padding: 0 1; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"set_label('{label}', '{value}')", f"{label} {value}", show=False)
            for key, (label, value) in LABEL_KEYS.items()
        ),
        Binding("enter", "save", "save + next", show=False),
        Binding("s", "skip", "skip", show=False),
        Binding("b", "go_back", "back", show=False),
        Binding("c", "toggle_classifier", "classifier labels", show=False),
        Binding("q", "quit_labelling", "quit", show=False),
    ]

    def __init__(
        self,
        items: tuple[LabelItem, ...],
        store: LabelFile,
        info: DrawInfo,
        show_classifier: bool = False,
    ) -> None:
        super().__init__()
        if not items:
            raise ValueError("nothing to label")
        self.items = items
        self.store = store
        self.info = info
        self.show_classifier = show_classifier
        self.index = self.first_unlabelled() or 0
        self.pending: dict[str, str] = {}
        self.quit_asked = False

    # -- state -------------------------------------------------------------------------

    @property
    def item(self) -> LabelItem:
        return self.items[self.index]

    def labelled(self) -> int:
        """Items of this draw with a line in the labels file."""
        return sum(item.key in self.store.records for item in self.items)

    def first_unlabelled(self, after: int = -1) -> int | None:
        """The first item without a line after ``after`` (then from the start), or None."""
        order = list(range(after + 1, len(self.items))) + list(range(0, after + 1))
        return next((i for i in order if self.items[i].key not in self.store.records), None)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with VerticalScroll(id="transcript"):
            for part in ("query", "scratchpad", "output", "probe_answer"):
                yield Static(id=part, classes="part")
        yield Static(id="classifier")
        yield Static(id="yours")
        yield Static(id="message")
        yield Static(Text(HELP), id="help")

    def on_mount(self) -> None:
        self.show_item(self.index)
        if self.first_unlabelled() is None:
            self.say(f"all {len(self.items)} items are labelled; q quits")
        self.query_one("#transcript", VerticalScroll).focus()

    def show_item(self, index: int) -> None:
        """Show item ``index`` with its saved labels (if any) as the starting point."""
        self.index = index
        item = self.item
        self.pending = self.store.labels_of(item.key)
        for part in ("query", "scratchpad", "output", "probe_answer"):
            widget = self.query_one(f"#{part}", Static)
            text = getattr(item, part)
            widget.display = part != "probe_answer" or text is not None
            widget.border_title = part.replace("_", " ")
            widget.update(Text(text) if text else Text(EMPTY, style="dim"))
        self.query_one("#transcript", VerticalScroll).scroll_home(animate=False)
        self.refresh_status()
        self.refresh_classifier()
        self.refresh_yours()
        self.say("")

    def refresh_status(self) -> None:
        item = self.item
        line = (
            f"item {self.index + 1} of {len(self.items)} · labelled {self.labelled()} · "
            f"id {item.key} · condition {item.condition} · scenario {item.scenario or '?'} · "
            f"model {item.model or '?'}"
        )
        self.query_one("#status", Static).update(Text(line, style="bold"))

    def refresh_classifier(self) -> None:
        widget = self.query_one("#classifier", Static)
        widget.display = self.show_classifier
        item = self.item
        parts = []
        for label in HUMAN_LABELS:
            found = item.classification.get(label)
            if found is None:
                parts.append(f"{label} -")
                continue
            score = found.get("score")
            shown = "" if score is None else f" ({score:.2f})"
            parts.append(f"{label} {found.get('label')}{shown}")
        widget.border_title = f"classifier: {item.classifier}"
        widget.update(
            Text("  ".join(parts) + f"   stratum {item.stratum}, weight {item.weight:.2f}")
        )

    def refresh_yours(self) -> None:
        saved = self.store.labels_of(self.item.key)
        parts = [f"{label} [{self.pending.get(label, '-')}]" for label in HUMAN_LABELS]
        if not saved:
            state = "not saved"
        elif saved == self.pending:
            state = "saved"
        else:
            state = "changed, enter saves"
        self.query_one("#yours", Static).update(Text(f"your labels: {'  '.join(parts)}  ({state})"))

    def say(self, message: str) -> None:
        self.query_one("#message", Static).update(Text(message))

    # -- actions -----------------------------------------------------------------------

    def action_set_label(self, label: str, value: str) -> None:
        """Set one label of the shown item (written on ``enter``)."""
        self.pending[label] = value
        self.quit_asked = False
        self.refresh_yours()

    def action_save(self) -> None:
        """Write the shown item's labels and go to the next unlabelled item."""
        if not self.pending:
            self.say("set a label first (keys below), or s to skip")
            return
        missing = [label for label in HUMAN_LABELS if label not in self.pending]
        if self.store.labels_of(self.item.key) != self.pending:
            self.store.save(make_record(self.item, self.pending, self.info, self.index))
        after = self.first_unlabelled(self.index)
        if after is None:
            self.refresh_status()
            self.refresh_yours()
            self.say(f"all {len(self.items)} items are labelled ({self.store.path}); q quits")
            return
        self.show_item(after)
        if missing:
            self.say(f"saved the previous item without {', '.join(missing)}")

    def action_skip(self) -> None:
        """Go to the next item without writing anything."""
        if self.index + 1 >= len(self.items):
            self.say("this is the last item; b goes back, q quits")
            return
        self.show_item(self.index + 1)

    def action_go_back(self) -> None:
        """Go to the previous item (its saved labels can be changed)."""
        if self.index == 0:
            self.say("this is the first item")
            return
        self.show_item(self.index - 1)

    def action_toggle_classifier(self) -> None:
        """Show or hide the classifier's labels."""
        self.show_classifier = not self.show_classifier
        self.refresh_classifier()

    def action_quit_labelling(self) -> None:
        """Quit; what was saved stays saved. With unsaved labels on screen, ask once more."""
        unsaved = self.pending and self.pending != self.store.labels_of(self.item.key)
        if unsaved and not self.quit_asked:
            self.quit_asked = True
            self.say("this item's labels are not saved: enter saves, q again quits without")
            return
        self.exit(self.labelled())
