"""Faster request dispatch in moto's server.

For every request moto's DomainDispatcherApplication finds the service
behind a host name, under one global lock, by listing moto's package
folder (about 190 stat calls, twice) and then trying hundreds of URL
patterns. That was the largest cost of a call (~2 ms of a ~7 ms request)
and serialized all requests. Then each response class looks its action
up among its methods with inspect.getmembers, and every backend lookup
(`backends[account][region]`, dozens per request) took moto's global lock
to see whether the account's backends exist yet. Installed packages and
classes do not change while the server runs (the emulator's patches are
installed before the first request), and a host always maps to the same
service, so these answers are remembered, and an account whose backends
exist is looked up without the lock.
"""

from typing import Any

import moto.backends
import moto.core.responses
from moto.core.base_backend import BackendDict
from moto.moto_server.werkzeug_app import DomainDispatcherApplication


def install() -> None:
    modules = frozenset(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules

    find_backend = DomainDispatcherApplication.get_backend_for_host
    known: dict[Any, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in known:
            known[host] = find_backend(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host

    method_names_from_class = moto.core.responses.method_names_from_class
    methods: dict[type, frozenset[str]] = {}

    def cached_method_names(clazz: type) -> frozenset[str]:
        if clazz not in methods:
            methods[clazz] = frozenset(method_names_from_class(clazz))
        return methods[clazz]

    moto.core.responses.method_names_from_class = cached_method_names

    def backends_of_account(self: BackendDict, account_id: str) -> Any:
        if not dict.__contains__(self, account_id):
            self._create_account_specific_backend(account_id)
        return dict.__getitem__(self, account_id)

    BackendDict.__getitem__ = backends_of_account
