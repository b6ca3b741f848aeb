"""One labelling session: the draw, checked against the labels file it resumes, and its app.

:func:`open_session` is what ``goalguard label`` runs before the app takes the screen;
the tests call it too, then drive the app with Textual's pilot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from goalguard.label.app import LabelApp
from goalguard.label.source import Sample, load_sample
from goalguard.label.store import DrawInfo, LabelFile, LabelFileError

DEFAULT_N = 40
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Session:
    """The drawn sample, the labels file and the draw's identity."""

    sample: Sample
    store: LabelFile
    info: DrawInfo
    resumed: bool
    """True when the labels file already held lines of this draw."""

    def app(self, show_classifier: bool = False) -> LabelApp:
        """The terminal app over this session (run it with ``.run()`` or ``.run_test()``)."""
        return LabelApp(self.sample.items, self.store, self.info, show_classifier)


def open_session(source: Path, out: Path, n: int | None = None, seed: int | None = None) -> Session:
    """Draw from ``source`` into ``out``; resume ``out``'s draw when it holds labels.

    A labels file remembers its draw (seed, n and the digest of the drawn ids): ``n`` and
    ``seed`` default to it, and the draw made now must give the same digest, else the file
    belongs to another source (or the source changed) and :class:`LabelFileError` says so.

    Raises:
        LabelFileError: ``out`` is not a labels file, or holds another draw.
        SourceError: ``source`` cannot be read or holds nothing.
    """
    store = LabelFile(out)
    recorded = store.draw_info()
    if recorded is not None:
        for flag, given, kept in (("--seed", seed, recorded.seed), ("-n", n, recorded.n)):
            if given is not None and given != kept:
                raise LabelFileError(
                    f"{out} was drawn with {flag} {kept}; give that (or leave it out) to "
                    f"resume, or choose another -o for a new draw"
                )
        n, seed = recorded.n, recorded.seed
    n = DEFAULT_N if n is None else n
    seed = DEFAULT_SEED if seed is None else seed
    if n < 1:
        raise ValueError(f"-n must be at least 1, got {n}")
    sample = load_sample(source, n, seed)
    info = DrawInfo(
        str(source), seed, n, len(sample.items), sample.draw.digest, dict(sample.draw.sizes)
    )
    if recorded is not None and recorded.digest != info.digest:
        raise LabelFileError(
            f"{out} holds labels of another draw (from {recorded.source}, seed {recorded.seed}, "
            f"n {recorded.n}, digest {recorded.digest}); {source} with that seed and n now "
            f"draws {info.digest}: a different or changed source. Give another -o."
        )
    return Session(sample, store, info, resumed=recorded is not None)
