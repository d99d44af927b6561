"""strawberry's extension hooks, entered without rebuilding their context managers on every request.

For every stage of every request (operation, parsing, validation, executing) strawberry's runner asks
each extension for its hook again: `inspect.isgeneratorfunction`, then `contextlib.contextmanager`
around a new bound method (a `functools.wraps` copy each time), then an `ExitStack` to enter them.
On `{ __typename }` that machinery was about a sixth of a worker's CPU (docs/performance-findings.md).
Here the wrapping is done once per extension class and hook; a stage enters the hooks in order and
leaves them in reverse, handing an exception to each as `ExitStack` does. A hook that is not a plain
generator function (a coroutine, an async generator) leaves that stage to strawberry's own runner.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

_HookFactory = Callable[..., contextlib.AbstractContextManager[None]]
_UNSUPPORTED = object()


_HOOKS: dict[tuple[type[SchemaExtension], str], _HookFactory | object | None] = {}


def _hook(extension_type: type[SchemaExtension], name: str) -> _HookFactory | object | None:
    """The extension's own hook as a context-manager factory, None if it has none, or _UNSUPPORTED."""
    key = (extension_type, name)
    if key not in _HOOKS:
        hook = getattr(extension_type, name)
        if hook is getattr(SchemaExtension, name):
            _HOOKS[key] = None
        elif inspect.isgeneratorfunction(hook):
            _HOOKS[key] = contextlib.contextmanager(hook)
        else:
            _HOOKS[key] = _UNSUPPORTED
    return _HOOKS[key]


class _Stage:
    """One stage's hooks, usable with `with` and `async with` as strawberry's stage managers are."""

    __slots__ = ("_entered", "_managers")

    def __init__(self, managers: list[contextlib.AbstractContextManager[None]]) -> None:
        self._managers = managers
        self._entered: list[contextlib.AbstractContextManager[None]] = []

    def __enter__(self) -> None:
        try:
            for manager in self._managers:
                manager.__enter__()
                self._entered.append(manager)
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)  # the hooks already entered are left
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # ExitStack's rules between the hooks: the innermost first; a hook that swallows the exception
        # clears it for the ones outside; one that raises hands its own exception on. As in strawberry's
        # runner the stage itself never swallows: the body's exception, or the last one raised, escapes.
        pending: BaseException | None = exc
        while self._entered:
            manager = self._entered.pop()
            try:
                if manager.__exit__(type(pending) if pending else None, pending,
                                    pending.__traceback__ if pending else None):
                    pending = None
            except BaseException as raised:
                if raised is not pending and raised.__context__ is None:
                    raised.__context__ = pending
                pending = raised
        if pending is not None and pending is not exc:
            raise pending

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """SchemaExtensionsRunner with the hooks' context managers built once per extension class."""

    def _stage(self, name: str, fallback: Callable[[], Any], *args: Any) -> Any:
        managers: list[contextlib.AbstractContextManager[None]] = []
        for extension in self.extensions:
            hook = _hook(type(extension), name)
            if hook is None:
                continue
            if hook is _UNSUPPORTED:
                return fallback()
            managers.append(hook(extension, *args))  # type: ignore[operator]
        return _Stage(managers)

    def operation(self) -> Any:
        return self._stage("on_operation", super().operation)

    def parsing(self) -> Any:
        return self._stage("on_parse", super().parsing)

    def validation(self) -> Any:
        return self._stage("on_validate", super().validation)

    def executing(self) -> Any:
        return self._stage("on_execute", super().executing)

    def on_stream_result(self, result: Any) -> Any:
        return self._stage("on_stream_result", lambda: super(LeanExtensionsRunner, self).on_stream_result(result),
                           result)
