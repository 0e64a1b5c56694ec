#!/usr/bin/env python3
"""How much of a public catalogue of provider auth definitions our manifests describe.

Translates every provider of Nango's `providers.yaml` (npm `@nangohq/providers`, pinned) into an
`integration.toml`, validates them all with `paragon-codegen validate`, and classifies each:

  exact  the manifest validates and keeps every behaviour the catalogue gives the provider
  lossy  it validates, but a behaviour the provider needs is dropped (the reason says which)
  none   no manifest can describe it (the reason says why), or the validator refuses ours

What is not about connecting and authorizing (webhooks, pagination, retry hints, docs, the
catalogue's own verification scripts) is ignored. Usage:

  scripts/manifest-coverage.py             fetch (once) into .cache/, convert, validate, print
  scripts/manifest-coverage.py --markdown  the same, as the tables of docs/manifest-coverage.md
  scripts/manifest-coverage.py --show P    print provider P's class and manifest (last run)
  scripts/manifest-coverage.py --list C    list the providers of class C with reasons (last run)

Needs npm (for the fetch), PyYAML, and cargo (it builds paragon-codegen).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

PACKAGE = "@nangohq/providers@0.71.10"
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "nango-providers"
OUT = ROOT / ".cache" / "manifest-coverage"

# Auth modes no manifest can express, with the capability they need.
UNSUPPORTED_MODES = {
    "OAUTH1": "OAuth 1.0a (request token and signed requests)",
    "TBA": "OAuth 1.0 signatures (NetSuite token-based auth)",
    "JWT": "a JWT the connection signs with the end user's private key",
    "AWS_SIGV4": "AWS SigV4 request signing",
    "SIGNATURE": "request signing",
    "BILL": "a session login with a custom protocol",
    "APP": "app installation (an app JWT exchanged per installation)",
    "CUSTOM": "app installation (an app JWT exchanged per installation)",
    "INSTALL_PLUGIN": "installing a plugin in the end user's product",
    "MCP_OAUTH2_GENERIC": "dynamic client registration (RFC 7591) with authorization-server "
    "discovery (RFC 8414): the catalogue names no authorization, token or registration URL, only "
    "the end user's MCP server, whose metadata a manifest cannot fetch",
}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The signing algorithms `[auth.client_assertion]` accepts (paragon_manifest::ASSERTION_ALGORITHMS).
ASSERTION_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")

# Post-connection scripts that are one GET with the new credential and captures, as
# `[[auth.after_connect]]`: the URL (absolute, or a path under the proxy's base URL) and, per
# connection value, the JSON pointer into the answer; `inputs`: a value the script copies from
# the connection's own credentials. Read from Nango's source, NangoHQ/nango at 2f4c0af,
# packages/server/lib/hooks/connection/providers/<provider>/post-connection.ts.
POST_CONNECTION = {
    # mailchimp: GET https://login.mailchimp.com/oauth2/metadata, `dc` from the answer.
    "mailchimpPostConnection": {
        "url": "https://login.mailchimp.com/oauth2/metadata",
        "capture": {"dc": "/dc"},
    },
    # sophos-central: GET https://api.central.sophos.com/whoami/v1, `id` and `apiHosts.dataRegion`.
    "sophosCentralPostConnection": {
        "url": "https://api.central.sophos.com/whoami/v1",
        "capture": {"tenantId": "/id", "dataRegion": "/apiHosts/dataRegion"},
    },
    # hubspot: GET /account-info/v3/details on the API, `portalId`.
    "hubspotPostConnection": {
        "url": "/account-info/v3/details",
        "capture": {"portalId": "/portalId"},
    },
    # adobe-umapi: no request; `clientId` is the connection's own client id.
    "adobeUmapiPostConnection": {"inputs": {"clientId": "client_id"}},
}
# Scripts that set connection values a manifest needs but do more than one GET and captures:
# the values they set, and why (same source).
NOT_A_GET = {
    "jiraPostConnection": (
        ["cloudId", "baseUrl", "accountId"],
        "it chooses one of several sites by the `subdomain` input, then GETs an endpoint that "
        "depends on the site's product",
    ),
    "sage200PostConnection": (["company_id", "site_id"], "it takes the first of a list or a single object"),
    "basecampPostConnection": (["accounts", "accountId"], "it sets `accountId` only when there is exactly one account"),
    "jobberPostConnection": (["accountId"], "a GraphQL POST"),
}
# Post-connection scripts that fill a connection value the end user left empty, and what is lost
# when a manifest then asks the user for it. zohoPostConnection sets `extension` from the token
# response's `api_domain` (`https://www.zohoapis.eu` → `eu`): where the catalogue's URLs fall
# back to `api_domain` and the callback's `accounts-server` (the same data centre) the script
# changes nothing, so only a URL that needs `extension` itself (Zoho Mail's base URL) loses.
SCRIPT_FILLS = {
    ("zohoPostConnection", "extension"): "the data centre's domain extension, which a "
    "post-connection script reads from the token response's api_domain, asked of the user",
}
DCR = "dynamic client registration (RFC 7591) without a registration URL in the catalogue"
# The client metadata `paragon-local` registers with (RFC 7591 §2): what the catalogue's
# `registration_params` may ask for without a loss.
# Products whose OAuth server is the end user's own installation or tenant (self-hosted, on
# premise, or an app registered per account): a client exists only inside that instance, so its
# id and secret are the end user's inputs, and then its host may be the user's too. The
# catalogue's one client per integration could serve a single customer only.
OWN_OAUTH_APP = {
    "jira-data-center": "an incoming application link created in the user's Jira Data Center",
    "confluence-data-center": "an incoming application link created in the user's Confluence Data Center",
    "canvas-lms": "a developer key created in the user's Canvas instance",
    "odoo": "an OAuth client of the user's own Odoo server",
    "maximizer-on-premise": "an application registered in the user's Maximizer server",
    "snowflake": "a security integration created in the user's Snowflake account",
    "looker-oauth": "an OAuth client app registered in the user's Looker instance",
    "workday-oauth": "an API client registered in the user's Workday tenant",
    "infor": "an ION API client of the user's Infor tenant",
    # ServiceNow's OAuth clients live in each instance's Application Registry: one client
    # cannot serve another customer's instance.
    "servicenow": "an OAuth API endpoint registered in the Application Registry of the user's ServiceNow instance",
}
# A connection value taken from the user's input itself, where the callback's would not exist
# yet (the converter's own marker inside a catalogue template).
INPUT_ITSELF = "input itself:"
# `[auth]` URLs that may be written as alternatives (`token_url = [a, b]`, the first with values).
AUTH_URL_ALTERNATIVES = ("auth.authorization_url", "auth.token_url", "auth.refresh_url")
REGISTRATION_SENT = {"grant_types": {"authorization_code", "refresh_token"}, "response_types": {"code"}}


class NoManifest(Exception):
    """The provider cannot be described; the message is the reason."""


class Conversion:
    """One provider's manifest being built, and what it loses."""

    def __init__(self, key: str, p: dict):
        self.key = key
        self.p = p
        self.mode = p.get("auth_mode")
        self.losses: list[str] = []
        self.inputs: dict[str, dict] = {}  # catalogue name -> our input
        self.captures: list[str] = []
        self.capture_pointers: dict[str, str] = {}  # a nested value's name -> its JSON pointer
        # A TWO_STEP answer's headers (`token_response_headers`) -> the credential value Nango
        # stores them as: `set-cookie` as `_cookies` (`a=1; b=2`), others under their name.
        self.header_captures: dict[str, str] = {}
        if self.mode == "TWO_STEP":
            for h in p.get("token_response_headers") or []:
                h = str(h).lower()
                self.header_captures[h] = "_cookies" if h == "set-cookie" else ident(h)
        self.callback_captures: list[str] = []
        self.config = p.get("connection_config") or {}
        self.credentials = p.get("credentials") or {}
        for name in p.get("token_response_metadata") or []:
            self.captures.append(ident(name))
            if "." in name:  # Nango reads `a.b` inside `a`; `capture = { a_b = "/a/b" }`
                self.capture_pointers[ident(name)] = pointer(name)
        self.callback_params: dict[str, str] = {}  # capture name -> the callback's parameter
        self.callback_one_of: dict[str, list[str]] = {}  # capture name -> values allowed
        self.callback_subdomains: set[str] = set()  # capture names held to one DNS label
        for name in p.get("redirect_uri_metadata") or []:
            if ident(name) not in self.captures:
                self.callback_captures.append(ident(name))
                self.callback_params[ident(name)] = str(name)
        self.notes: list[str] = []
        self.after_connect: dict[str, dict] = {}  # [[auth.after_connect]] entries by URL
        self.response_type: str | None = None  # the authorization request's, when not `code`
        self.nonce_param: str | None = None  # the authorization parameter holding `${random}`

    def lose(self, what: str) -> None:
        if what not in self.losses:
            self.losses.append(what)

    # --- templates -------------------------------------------------------------------------

    def template(self, text: str, where: str, in_url: bool = False) -> str:
        """A catalogue template (`${connectionConfig.x}`, `${apiKey}`...) in our syntax."""
        out, i = [], 0
        text = str(text)
        if " || " in text:
            # Callers that can express alternatives split them first; anywhere else the text
            # would be sent as it stands, `||` included.
            raise NoManifest(f"fallback alternatives (`a || b`) in {where}")
        while i < len(text):
            j = text.find("${", i)
            if j < 0:
                out.append(escape_literal(text[i:]))
                break
            out.append(escape_literal(text[i:j]))
            end = matching_brace(text, j + 1)
            after_scheme = in_url and text[:j] == "https://"
            out.append(self.reference(text[j + 2 : end], where, after_scheme))
            i = end + 1
        return "".join(out)

    def reference(self, expr: str, where: str, in_url: bool) -> str:
        """One `${...}`; `in_url`: it stands right after `https://` (a host input may)."""
        expr = expr.strip()
        if expr.startswith(INPUT_ITSELF):
            return "{input.%s}" % self.config_input(expr[len(INPUT_ITSELF) :], in_url)
        if expr.startswith("connectionConfig."):
            return self.config_ref(expr[len("connectionConfig.") :], where, in_url)
        if expr == "apiKey":
            return "{input.%s}" % self.credential_input("apiKey", "API key", secret=True)
        if expr.startswith("credentials.") and expr[len("credentials.") :] in self.header_captures.values():
            return "{credential.%s}" % expr[len("credentials.") :]
        if expr.startswith("credentials."):
            name = expr[len("credentials.") :]
            if "." in name:
                raise NoManifest(f"a field inside a credential value (`{expr}`)")
            return "{input.%s}" % self.credential_input(name, None, secret=None)
        if expr == "clientId" and self.dynamic_registration():
            raise NoManifest(f"the registered client's id in {where}")
        if expr == "clientId" and self.mode in ("OAUTH2", "MCP_OAUTH2"):
            return "{env.CLIENT_ID}"
        if expr == "clientSecret" and self.mode in ("OAUTH2", "MCP_OAUTH2") and not self.dynamic_registration():
            return "{env.CLIENT_SECRET}"  # the owner's app secret (Etsy's `x-api-key`)
        if expr in ("accessToken", "token"):
            if self.mode in ("API_KEY", "BASIC"):
                raise NoManifest(f"a token obtained by a script (`${{{expr}}}`)")
            return "{credential.access_token}"
        if expr.startswith("base64("):
            raise NoManifest(f"a base64-encoded composite value in {where}")
        if expr.startswith("now") or expr == "random" or "(" in expr:
            raise NoManifest(f"a computed value (`${{{expr}}}`) in {where}")
        if expr == "refresh_token" and where.startswith("auth.refresh."):
            return "{credential.refresh_token}"  # the stored one, in a token exchange's refresh
        if expr.startswith("step") or expr in ("refresh_token",):
            raise NoManifest(f"a multi-step login (`${{{expr}}}`)")
        raise NoManifest(f"an unknown value `${{{expr}}}` in {where}")

    def config_ref(self, name: str, where: str, in_url: bool) -> str:
        if "." in name:
            raise NoManifest(f"a field inside a connection value (`{name}`)")
        key = ident(name)
        if key in self.captures or key in self.callback_captures:
            return "{credential.%s}" % key
        spec = self.config.get(name) or {}
        set_by_script = name not in self.config and self.p.get("post_connection_script")
        if spec.get("automated") or set_by_script:
            return self.after_connect_ref(name, where)
        if "hidden" in spec and "default_value" in spec:
            return escape_literal(str(spec["default_value"]))
        return "{input.%s}" % self.config_input(name, in_url)

    def config_input(self, name: str, in_url: bool) -> str:
        key = ident(name)
        if key in self.inputs:
            return key
        spec = self.config.get(name) or {}
        field = base_input(key, spec)
        fmt = spec.get("format")
        if spec.get("enum"):
            field["kind"] = "select"
            field["options"] = [str(o) for o in spec["enum"]]
            field.pop("pattern", None)
        elif fmt == "uri":
            field["kind"] = "url"
        elif in_url and (fmt == "hostname" or spec.get("prefix") == "https://" and not spec.get("suffix")):
            field["kind"] = "host"
        self.inputs[key] = field
        return key

    def credential_input(self, name: str, label: str | None, secret: bool | None) -> str:
        key = ident(name)
        if key in self.inputs:
            return key
        spec = self.credentials.get(name) or {}
        field = base_input(key, spec, label)
        is_secret = spec.get("secret", secret if secret is not None else looks_secret(name))
        if is_secret:
            field["kind"] = "password"
        self.inputs[key] = field
        return key

    def alternatives(self, text: str, where: str, in_url: bool) -> list[str]:
        return [self.template(a.strip(), where, in_url) for a in str(text).split("||")]

    def base_url_alternatives(self, text: str) -> list[str] | str | None:
        """`a || b` in the API base URL as `base_url = [a, b]` (the first with values is used),
        when every alternative translates and the last one always has values."""
        alts = [a.strip() for a in str(text).split("||")]
        if len(alts) == 1:
            return None
        out = []
        for a in alts:
            try:
                out.append(self.template(a, "api.base_url", in_url=True))
            except NoManifest:
                return None
            if self.always_valued(out[-1]):
                break  # the alternatives after it are never used
        # A hidden empty value (`https://${connectionConfig.x}.example.com` with x = "") makes
        # an alternative no URL at all: it never serves, so it is left out.
        out = [a for a in out if not re.search(r"://(\.|/|$)", a)]
        if not out or self.optional_ref(out[-1]):
            return None
        return out if len(out) > 1 else out[0]

    def url(self, text: str, where: str) -> str | list[str]:
        """A URL; `a || b` alternatives in `base_url` and the `[auth]` URLs."""
        if not str(text).strip():
            raise NoManifest(f"no URL for {where} in the catalogue")
        text = self.callback_or_input(str(text), where)
        alts = str(text).split("||")
        if len(alts) == 1:
            return self.template(text.strip(), where, in_url=True)
        if where in AUTH_URL_ALTERNATIVES:
            out = self.auth_url_alternatives([a.strip() for a in alts], where)
            if out is not None:
                return out
        # `https://{input.host}/x || https://fixed/x`: the same URL with a default for the input.
        first, rest = alts[0].strip(), [a.strip() for a in alts[1:]]
        m = re.fullmatch(r"(.*)\$\{connectionConfig\.([A-Za-z0-9_-]+)\}(.*)", first)
        if m and len(rest) == 1 and "${" not in rest[0]:
            pre, name, post = m.groups()
            fixed = rest[0]
            if fixed.startswith(pre) and fixed.endswith(post) and len(fixed) > len(pre) + len(post):
                value = fixed[len(pre) : len(fixed) - len(post)]
                tpl = self.template(first, where, in_url=True)
                key = ident(name)
                if key in self.inputs and "{input.%s}" % key in tpl:
                    self.inputs[key]["default"] = value
                    self.inputs[key].pop("required", None)
                    return tpl
        self.lose("fallback alternatives (`a || b`) in a URL: one alternative kept")
        for alt in reversed(alts):
            try:
                tpl = self.template(alt.strip(), where, in_url=True)
            except NoManifest:
                continue
            if "{credential." not in tpl or where == "api.base_url":
                return tpl
        raise NoManifest(f"no usable alternative in {where}")

    def callback_or_input(self, text: str, where: str) -> str:
        """A connection value the user enters that the OAuth callback may also carry (Wildix's
        `subdomain`): Nango's connection config takes the callback's value over the input's
        once the callback arrives. The authorization URL comes before it, so it takes the
        input; a later URL is `callback || input`, the first with a value being used."""
        both = [
            n
            for n in re.findall(r"\$\{connectionConfig\.([A-Za-z0-9_-]+)\}", text)
            if ident(n) in self.callback_captures and n in self.config and not self.config[n].get("automated")
        ]
        if not both or "||" in text:
            return text
        as_input = text
        for n in both:
            as_input = as_input.replace("${connectionConfig.%s}" % n, "${%s%s}" % (INPUT_ITSELF, n))
        if where == "auth.authorization_url":
            return as_input
        if where in AUTH_URL_ALTERNATIVES or where == "api.base_url":
            return f"{text} || {as_input}"
        return text

    def always_valued(self, tpl: str) -> bool:
        """Whether every reference of `tpl` always has a value: the owner's secrets and
        required inputs or inputs with a default."""
        for ns, name in re.findall(r"(?<!\{)\{(\w+)\.([A-Za-z0-9_]+)\}", tpl):
            field = self.inputs.get(name) if ns == "input" else None
            if ns == "env" or (ns == "credential" and name == "access_token"):
                continue
            if field is None or (not field.get("required", True) and "default" not in field):
                return False
        return True

    def auth_url_alternatives(self, alts: list[str], where: str) -> list[str] | str | None:
        """`a || b` in an `[auth]` URL as `[a, b]` (the first whose references all have values
        is used). Alternatives after one that always has values are never used and are left
        out (ServiceNow's hidden `subdomain` after its required `hostname`); `None` when the
        last would need an optional value."""
        out = []
        for alt in alts:
            try:
                tpl = self.template(alt, where, in_url=True)
            except NoManifest:
                return None
            if re.search(r"://(\.|/|$)", tpl):
                continue  # a hidden empty value makes no URL: it never serves
            out.append(tpl)
            if self.always_valued(tpl):
                break
        if not out or self.optional_ref(out[-1]):
            return None
        self.hold_callback_hosts(out)
        return out if len(out) > 1 else out[0]

    def hold_callback_hosts(self, alts: list[str]) -> None:
        """A callback value forming an alternative's origin (Zoho's
        `${connectionConfig.accounts-server}/oauth/v2/token`) is the end user's browser's to
        change, so the validator wants it held to a list. The list is the catalogue's own: the
        origins another alternative names through a select (`https://accounts.zoho.{ext}` for
        each of the extension's options)."""
        for tpl in alts:
            m = re.fullmatch(r"\{credential\.([A-Za-z0-9_]+)\}(.*)", tpl)
            if not m or m.group(1) not in self.callback_captures:
                continue
            name, path = m.groups()
            for other in alts:
                origin = other[: len(other) - len(path)] if path and other.endswith(path) else None
                keys = re.findall(r"\{input\.([A-Za-z0-9_]+)\}", origin or "")
                field = self.inputs.get(keys[0]) if len(keys) == 1 and "{" not in origin.replace("{input.%s}" % keys[0], "") else None
                if field and field.get("kind") == "select":
                    self.callback_one_of[name] = [origin.replace("{input.%s}" % keys[0], o) for o in field["options"]]
                    self.notes.append(
                        f"`{name}` from the OAuth callback is held to the hosts the catalogue's "
                        f"`{keys[0]}` options name ({len(field['options'])})"
                    )
                    break

    def callback_capture_entries(self) -> list:
        """`callback_capture`: a name, or a table when the parameter is named otherwise or the
        value is held to a list."""
        out = []
        for name in self.callback_captures:
            param = self.callback_params.get(name, name)
            if param == name and name not in self.callback_one_of and name not in self.callback_subdomains:
                out.append(name)
                continue
            entry = {"name": name}
            if param != name:
                entry["param"] = param
            if name in self.callback_one_of:
                entry["one_of"] = self.callback_one_of[name]
            elif name in self.callback_subdomains:
                entry["kind"] = "subdomain"
            out.append(entry)
        return out

    # --- values read after connecting (post-connection scripts) -----------------------------

    def after_connect_script(self) -> dict | None:
        """What the provider's post-connection script reads, when it is one GET and captures."""
        return POST_CONNECTION.get(self.p.get("post_connection_script") or "")

    def after_connect_ref(self, name: str, where: str) -> str:
        """`${connectionConfig.name}` that a script sets after connecting: `{credential.x}`
        read by an `[[auth.after_connect]]` GET (or the input it copies), else no manifest."""
        script = self.p.get("post_connection_script")
        read = self.after_connect_script()
        if read and name in read.get("inputs", {}):
            source = read["inputs"][name]
            return "{input.%s}" % self.credential_input(source, None, secret=False)
        if read and name in read.get("capture", {}):
            if self.mode == "NONE":
                raise NoManifest(f"a value read after connecting without a credential, `{name}` in {where}")
            entry = self.after_connect.setdefault(read["url"], {"url": read["url"], "capture": {}})
            entry["capture"][ident(name)] = read["capture"][name]
            return "{credential.%s}" % ident(name)
        # An unknown script is taken to set the values the catalogue does not declare.
        unknown = ([name] if name not in self.config else [], "it does more than a GET and a capture")
        sets, why = NOT_A_GET.get(script or "", unknown)
        if script and name in sets:
            raise NoManifest(
                f"a value set by a post-connection script ({why}), `{name}` in {where}"
            )
        spec = self.config.get(name) or {}
        if spec.get("automated"):
            return self.automated_ref(name, spec)
        raise NoManifest(
            "a connection value marked `automated` that no post-connection script reads from "
            f"the API, `{name}` in {where}"
        )

    def automated_ref(self, name: str, spec: dict) -> str:
        """A connection value marked `automated`: the end user never types it; Nango's developer
        sets it per connection (connect session defaults). Paragon's per-user values the
        developer sets are the user's metadata, `{user.x}`; a secret one is the developer's own
        secret, `{env.X}` (metadata is no secret store). The validator keeps `{user.*}` out of
        hosts and credentials, so a translation that puts it there is refused, not kept. A value
        named like a key or token (Paycor's `subscriptionKey`, which the catalogue does not mark
        secret) is the developer's too: in metadata every user's frontend could read it."""
        if spec.get("secret") or looks_secret(name):
            return "{env.%s}" % ident(name).upper()
        return "{user.%s}" % re.sub(r"[^A-Za-z0-9_-]", "_", str(name))

    def after_connect_configuration(self) -> None:
        """`connection_configuration`: values a script adds to the connection for later use;
        kept when the script is a GET we can describe, lost otherwise."""
        names = self.p.get("connection_configuration") or []
        if not names:
            return
        read = self.after_connect_script() or {}
        missing = [n for n in names if n not in read.get("capture", {})]
        if missing:
            _, why = NOT_A_GET.get(self.p.get("post_connection_script") or "", ([], ""))
            self.lose("values read from the API after connecting" + (f" ({why})" if why else ""))
            return
        for name in names:
            self.after_connect_ref(name, "connection_configuration")

    # --- the resource owner password grant -------------------------------------------------

    def password_grant(self) -> dict:
        """`OAUTH2_CC` whose token request is the password grant (RFC 6749 §4.3): a
        `client_credentials` setup with `grant = "password"` and the user's inputs."""
        params = dict(self.p["token_params"])
        params.pop("grant_type")
        username, password = params.pop("username", None), params.pop("password", None)
        if not username or not password:
            raise NoManifest("a password grant without a username or password")
        self.p = {**self.p, "token_params": params}
        a = self.client_credentials()
        a["grant"] = "password"
        a["username"] = self.template(username, "auth.username")
        a["password"] = self.template(password, "auth.password")
        for key in re.findall(r"\{input\.([A-Za-z0-9_]+)\}", a["password"]):
            self.inputs[key]["kind"] = "password"  # the catalogue marks it secret
        return a

    # --- client authentication by signed assertion (private_key_jwt) -----------------------

    def signed_client_credentials(self) -> dict:
        """A token request whose client proves itself with a JWT it signs (RFC 7523 §2.2):
        `type = "client_credentials"` with `client_auth = "private_key_jwt"`, when the
        catalogue's assertion is what the server signs (iss = sub = the client id, aud = the
        token URL, a random jti, a kid at most)."""
        p, a = self.p, self.p["assertion"]
        if a.get("type") != "jwt":
            raise NoManifest(f"a {str(a.get('type', 'non-JWT')).upper()} assertion")
        params = {str(k): str(v) for k, v in (p.get("token_params") or {}).items()}
        grant = params.pop("grant_type", "")
        if grant != "client_credentials":
            raise NoManifest(f"the `{grant}` grant with a signed JWT (RFC 7523 §2.1)")
        if params.pop("client_assertion_type", "") != JWT_BEARER or params.pop("client_assertion", "") != "${credentials.assertion}":
            raise NoManifest("a signed JWT in other token parameters than client_assertion")
        header = dict(a.get("header") or {})
        alg = header.pop("alg", "RS256")
        kid = header.pop("kid", None)
        if header.pop("typ", "JWT") != "JWT" or header:
            raise NoManifest("client authentication by signed JWT with other header fields than alg and kid")
        if alg not in ASSERTION_ALGORITHMS:
            raise NoManifest(f"a client assertion signed with {alg}")
        claims = dict(a.get("payload") or {})
        iss, sub, aud = claims.pop("iss", None), claims.pop("sub", None), claims.pop("aud", None)
        jti = claims.pop("jti", "${random}")
        if claims or jti != "${random}" or not iss:
            raise NoManifest("client authentication by signed JWT with other claims")
        if sub not in (None, iss):
            raise NoManifest("a client assertion whose subject is not its issuer")
        if sub is None:
            self.lose("a client assertion without `sub` (ours name the client as `sub` too)")
        token_url = str(p.get("token_url", ""))
        if aud != token_url:
            raise NoManifest("a client assertion for another audience than the token URL")
        client_id = self.template(iss, "auth.client_id")
        params.pop("client_id", None)  # the client id is sent anyway
        auth = {
            "type": "client_credentials",
            "token_url": self.url(token_url, "auth.token_url"),
            "client_id": client_id,
            "client_auth": "private_key_jwt",
        }
        scope = params.pop("scope", None)
        if scope:
            auth["scopes"] = self.template(scope, "auth.scopes").split(" ")
        auth["token_params"] = self.params(params, "auth.token_params", "client_credentials")
        key = str(a.get("key", ""))
        assertion = {"key": "{env.PRIVATE_KEY}" if key == "${assertionOption.privateKey}" else self.secret_ref(key), "algorithm": alg}
        if kid:
            m = re.fullmatch(r"\$\{credentials\.([A-Za-z0-9_]+)\}", str(kid))
            if m:  # a key id names a key; it is not a secret
                self.credential_input(m.group(1), None, secret=False)
            assertion["key_id"] = self.template(kid, "auth.client_assertion.key_id")
        auth["client_assertion"] = assertion
        tr = p.get("token_response") or {}
        if tr.get("token", "access_token") != "access_token":
            raise NoManifest("the access token at another path of the token response")
        return auth

    def secret_ref(self, text: str) -> str:
        """`${credentials.x}` holding a private key: a secret input."""
        m = re.fullmatch(r"\$\{credentials\.([A-Za-z0-9_]+)\}", text)
        if not m:
            raise NoManifest(f"a signing key from `{text}`")
        return "{input.%s}" % self.credential_input(m.group(1), "Private key (PEM)", secret=True)

    # --- the manifest ----------------------------------------------------------------------

    def build(self) -> dict:
        p = self.p
        if self.mode in UNSUPPORTED_MODES:
            raise NoManifest(UNSUPPORTED_MODES[self.mode])
        if self.dynamic_registration() and not p.get("registration_url"):
            raise NoManifest(DCR)
        if self.mode is None:
            raise NoManifest("no auth mode in the catalogue")
        for key, reason in [
            ("require_client_certificate", "a TLS client certificate (mTLS)"),
            ("additional_steps", "a multi-step login"),
            ("signature", "request signing"),
        ]:
            if p.get(key):
                raise NoManifest(reason)
        if p.get("token_request_auth_method") == "private_key_jwt":
            raise NoManifest("client authentication by signed JWT assertion (private_key_jwt, RFC 7523)")
        if p.get("token_request_auth_method") == "custom":
            raise NoManifest("a custom token request")
        if p.get("body_format") == "xml":
            raise NoManifest("an XML token request")
        if p.get("integration_config"):
            raise NoManifest("settings per integration used by a script")
        proxy = p.get("proxy") or {}
        if not proxy.get("base_url"):
            raise NoManifest("no API base URL in the catalogue")
        auth = self.auth()
        api = self.api(proxy)
        m = {
            "name": str(p.get("display_name") or self.key),
            "slug": re.sub(r"[^a-z0-9]", "", self.key.lower()) or "x",
            "description": f"{p.get('display_name') or self.key}, converted from Nango's catalogue.",
            "icon": "icon.svg",
            "color": "#334155",
            "auth": auth,
            "inputs": list(self.inputs.values()),
            "api": api,
        }
        self.ignored()
        if self.after_connect:
            auth["after_connect"] = list(self.after_connect.values())
        self.subdomain_inputs(m)
        self.callback_subdomain_hosts(m)
        self.require_used_optionals(m)
        return m

    def require_used_optionals(self, m: dict) -> None:
        """An optional input in a template (outside header alternatives) fails at run time
        without a value, so the validator refuses it: it becomes required."""
        api = {k: v for k, v in m["api"].items() if k != "headers"}
        if isinstance(api["base_url"], list):
            api["base_url"] = api["base_url"][-1]  # before the last, a missing value falls through
        # A request parameter or header whose optional input has no value is left out; of
        # the [auth] URLs' alternatives, the last is the one that must have values.
        left_out = ("authorization_params", "token_params", "refresh_params", "params", "headers")
        auth = {k: v[-1] if k in ("authorization_url", "token_url", "refresh_url") and isinstance(v, list) else v
                for k, v in m["auth"].items() if k not in left_out}
        text = json.dumps({"auth": auth, "api": api})
        for key, field in self.inputs.items():
            if not field.get("required", True) and "default" not in field and "{input.%s}" % key in text:
                field.pop("required")
                self.lose(SCRIPT_FILLS.get((self.p.get("post_connection_script"), key))
                          or "an optional input used in a template made required")

    def ignored(self) -> None:
        p = self.p
        for key, what in [
            ("installation", "an app installation step"),
        ]:
            if p.get(key):
                self.lose(what)
        if p.get("refresh_token_headers") and self.mode != "TWO_STEP":  # a token exchange's refresh has them
            self.lose("extra headers on refresh")
        if self.mode in ("OAUTH2", "OAUTH2_CC", "MCP_OAUTH2") and p.get("token_expires_in_ms"):
            self.lose("a fixed OAuth token lifetime when the token response has none")
        self.after_connect_configuration()

    def auth(self) -> dict:
        mode, p = self.mode, self.p
        if mode == "NONE":
            return {"type": "none"}
        if mode in ("API_KEY", "BASIC"):
            return {"type": "api_key"}
        if mode in ("OAUTH2", "MCP_OAUTH2"):
            return self.oauth()
        if mode == "OAUTH2_CC" and (p.get("token_params") or {}).get("grant_type") == "password":
            return self.password_grant()
        if mode == "OAUTH2_CC":
            return self.client_credentials()
        if mode == "TWO_STEP" and p.get("assertion"):
            return self.signed_client_credentials()
        if mode == "TWO_STEP":
            return self.token_exchange()
        raise NoManifest(f"auth mode {mode}")

    def token_common(self, a: dict, grant: str) -> None:
        p = self.p
        if p.get("token_request_auth_method") == "basic" or p.get("authorization_method") == "header":
            a["client_auth"] = "basic"
        if p.get("body_format") in ("json", "query"):
            a["token_encoding"] = p["body_format"]
        if p.get("token_request_method") == "GET":
            raise NoManifest("an OAuth token request by GET")
        if p.get("token_headers"):
            fixed = {k.lower(): v for k, v in p["token_headers"].items()}
            if any(k not in ("content-type", "accept") for k in fixed):
                self.lose("extra headers on the OAuth token request")
        a["token_params"] = self.params(p.get("token_params"), "auth.token_params", grant)
        scopes = [str(s) for s in (p.get("default_scopes") or [])]
        if scopes:
            a["scopes"] = scopes
        if p.get("scope_separator") and p["scope_separator"] != " ":
            a["scope_separator"] = p["scope_separator"]

    def oauth(self) -> dict:
        p = self.p
        a = {
            "type": "oauth",
            "authorization_url": self.url(p.get("authorization_url", ""), "auth.authorization_url"),
            "token_url": self.url(p.get("token_url", ""), "auth.token_url"),
            "client_id": "{env.CLIENT_ID}",
            "client_secret": "{env.CLIENT_SECRET}",
            "pkce": not p.get("disable_pkce", False),
        }
        if p.get("refresh_url"):
            a["refresh_url"] = self.url(p["refresh_url"], "auth.refresh_url")
        if p.get("authorization_url_fragment"):
            a["authorization_url"] = with_fragment(a["authorization_url"], p["authorization_url_fragment"])
        self.own_oauth_app(a)
        self.registration(a)
        self.token_common(a, "authorization_code")
        a["authorization_params"] = self.params(
            p.get("authorization_params"), "auth.authorization_params", None
        )
        refresh = p.get("refresh_params") or p.get("refresh_token_params")
        if refresh is not None:
            rp = self.params(refresh, "auth.refresh_params", "refresh_token")
            if rp != a["token_params"]:
                a["refresh_params"] = rp
        if self.response_type:
            a["response_type"] = self.response_type
        if self.nonce_param:
            a["authorization_nonce"] = self.nonce_param
        self.authorization_url_options(a)
        code = p.get("authorization_code_param_in_callback")
        if code and code != "code":
            a["callback_code"] = code
        self.token_response_options(a)
        if self.callback_captures:
            a["callback_capture"] = self.callback_capture_entries()
        return a

    def token_response_options(self, a: dict) -> None:
        """Where the token response's values are: captures (nested ones at JSON pointers) and,
        for OAuth, the token at `alternate_access_token_response_path` when the answer has none
        at the top (Nango's `parseRawCredentials`)."""
        p = self.p
        if self.capture_pointers:
            a["capture"] = {n: self.capture_pointers.get(n, "/" + n) for n in self.captures}
        elif self.captures:
            a["capture"] = self.captures
        alternate = p.get("alternate_access_token_response_path")
        if alternate and a["type"] == "oauth":
            a["alternate_token_path"] = pointer(alternate)
            if self.key == "slack":
                # Nango's Slack-only code (createSlackToken, refreshSlackToken) also refreshes
                # the user token of an install that has a bot token too, kept in the raw
                # credentials; a manifest keeps and refreshes one token.
                self.lose("a user token refreshed beside the bot token (Nango's Slack-only code)")
        elif alternate:
            self.lose("the access token at another path of the token response")

    def authorization_url_options(self, a: dict) -> None:
        """How the catalogue rewrites the authorization URL, where a manifest says the same."""
        p = self.p
        renames = {}
        for old, new in (p.get("authorization_url_replacements") or {}).items():
            old, new = str(old).removesuffix("="), str(new).removesuffix("=")
            if old in ("response_type", "client_id", "redirect_uri", "scope", "state") and new:
                renames[old] = new  # a parameter under another name
            else:
                self.lose("rewriting the authorization URL by input")
        if renames:
            a["authorization_param_names"] = renames
        skip = p.get("authorization_url_skip_encode") or []
        if "scopes" in skip and a.get("scope_separator") == "+":
            # `a+b` unencoded is what a space separator sends: a form-encoded space is `+`.
            del a["scope_separator"]
        elif skip:
            self.lose("unencoded authorization URL parameters")
        if p.get("authorization_url_skip_empty") and any(v == "" for v in a["authorization_params"].values()):
            # The flow sends no empty parameter of its own (no `scope` without scopes).
            self.lose("leaving out empty authorization URL parameters")

    def own_oauth_app(self, a: dict) -> None:
        """The client of the user's own instance, from inputs (see `OWN_OAUTH_APP`)."""
        if self.key not in OWN_OAUTH_APP:
            return
        cid = self.credential_input("client_id", "Client ID", secret=False)
        csec = self.credential_input("client_secret", "Client secret", secret=True)
        self.inputs[cid]["help"] = f"The client ID of {OWN_OAUTH_APP[self.key]}."
        self.inputs[csec]["help"] = f"The client secret of {OWN_OAUTH_APP[self.key]}."
        a["client_id"] = "{input.%s}" % cid
        a["client_secret"] = "{input.%s}" % csec
        self.notes.append("the OAuth app is the end user's own instance's: client id and secret are inputs")

    def subdomain_inputs(self, m: dict) -> None:
        """An input inside a name of an OAuth URL's host (`https://{x}-api.example.com`): one
        DNS label, which the validator requires there (`kind = "subdomain"`)."""
        auth = m["auth"]
        urls = [
            url
            for field in ("authorization_url", "token_url", "refresh_url", "registration_url", "url")
            for url in (auth.get(field) if isinstance(auth.get(field), list) else [auth.get(field)])
            if isinstance(url, str)
        ]
        for url in urls:
            for mt in re.finditer(r"\{input\.([A-Za-z0-9_]+)\}", url):
                before, after = url[: mt.start()], url[mt.end() :]
                in_host = "://" in before and not re.search(r"[/?#]", before.split("://", 1)[1])
                field_ = self.inputs.get(mt.group(1))
                if not in_host or not field_ or field_.get("kind") or after[:1] in ("", ".", "/", ":", "?", "#"):
                    continue
                if "." not in field_.get("pattern", ""):
                    field_["kind"] = "subdomain"

    def callback_subdomain_hosts(self, m: dict) -> None:
        """A callback value right before a fixed domain in an OAuth URL's host (Lightspeed's
        `https://${connectionConfig.domain_prefix}.retail.lightspeed.app/api/1.0/token`): held to
        one DNS label (`kind = "subdomain"`), checked when the callback arrives, so it cannot
        name another host; the validator refuses an unheld one."""
        auth = m["auth"]
        if not auth.get("callback_capture"):
            return
        for field in ("token_url", "refresh_url"):
            urls = auth.get(field)
            for url in urls if isinstance(urls, list) else [urls] if urls else []:
                for mt in re.finditer(r"\{credential\.([A-Za-z0-9_]+)\}\.", url):
                    name = mt.group(1)
                    in_host = "://" in url[: mt.start()] and not re.search(r"[/?#]", url[: mt.start()].split("://", 1)[1])
                    if in_host and name in self.callback_captures and name not in self.callback_one_of:
                        self.callback_subdomains.add(name)
        auth["callback_capture"] = self.callback_capture_entries()

    def dynamic_registration(self) -> bool:
        """An `MCP_OAUTH2` provider whose client is registered per connection (RFC 7591)."""
        return self.mode == "MCP_OAUTH2" and self.p.get("client_registration") != "static"

    def registration(self, a: dict) -> None:
        """`registration_url` instead of the owner's client, when the catalogue registers one
        per connection; `registration_params` beyond what the server sends are a loss."""
        if not self.dynamic_registration():
            return
        del a["client_id"], a["client_secret"]
        a["registration_url"] = self.url(self.p["registration_url"], "auth.registration_url")
        for key, value in (self.p.get("registration_params") or {}).items():
            values = set(value) if isinstance(value, list) else {value}
            if not values <= REGISTRATION_SENT.get(key, set()):
                self.lose(f"registration metadata the server does not send (`{key}`)")

    def client_credentials(self) -> dict:
        p = self.p
        cid = self.credential_input("client_id", "Client ID", secret=False)
        csec = self.credential_input("client_secret", "Client secret", secret=True)
        a = {
            "type": "client_credentials",
            "token_url": self.url(p.get("token_url", ""), "auth.token_url"),
            "client_id": "{input.%s}" % cid,
            "client_secret": "{input.%s}" % csec,
        }
        self.token_common(a, "client_credentials")
        if p.get("authorization_params"):
            self.lose("authorization parameters on a client-credentials token request")
        self.token_response_options(a)
        if p.get("expires_in_unit") == "milliseconds":
            a["expires_in_unit"] = "milliseconds"
        elif p.get("expires_in_unit"):
            self.lose("`expires_in` in another unit than seconds")
        return a

    def token_exchange(self) -> dict:
        p = self.p
        a: dict = {"type": "token_exchange", "url": self.url(p.get("token_url", ""), "auth.url")}
        if p.get("token_request_method") == "GET":
            a["method"] = "GET"
        headers = {k.lower(): v for k, v in (p.get("token_headers") or {}).items()}
        ctype = str(headers.pop("content-type", ""))
        encoding = p.get("body_format") or ("form" if "urlencoded" in ctype else "json")
        if encoding in ("json", "query", "form"):
            a["encoding"] = encoding
        a["params"] = self.params(p.get("token_params"), "auth.params", None, protocol=False)
        auth_header = headers.pop("authorization", None)
        if auth_header is not None:
            basic = self.basic_parts(str(auth_header))
            if basic:
                a["basic"] = basic
            else:
                headers["authorization"] = auth_header
        if headers:
            a["headers"] = {k: self.param_value(str(v), "auth.headers") for k, v in headers.items()}
        tr = p.get("token_response") or {}
        if not tr.get("token"):
            raise NoManifest("no token path in the token exchange's answer")
        a["token_path"] = pointer(tr["token"])
        exp = tr.get("token_expiration")
        strategy = tr.get("token_expiration_strategy")
        if exp and strategy == "expireAt":
            a["expires_at_path"] = pointer(exp)
        elif exp:
            a["expires_in_path"] = pointer(exp)
        elif p.get("token_expires_in_ms"):
            a["lifetime"] = max(1, int(p["token_expires_in_ms"]) // 1000)
        self.exchange_refresh(a, tr)
        if self.header_captures:
            a["capture_headers"] = {n: h for h, n in self.header_captures.items()}
        return a

    def exchange_refresh(self, a: dict, tr: dict) -> None:
        """Nango renews a TWO_STEP token with its refresh token when the provider has
        `refresh_token_params` or `refresh_token_headers` and the answer held one: POST to
        `refresh_url` (else `token_url`) with those parameters only and those headers (else the
        exchange's), in the same body format. `[auth.refresh]` says the same."""
        p = self.p
        if not (p.get("refresh_token_params") or p.get("refresh_token_headers")):
            return  # a refresh token alone is never used: Nango exchanges again
        if not tr.get("refresh_token"):
            return  # no refresh token is ever stored, so Nango always exchanges again
        a["refresh_token_path"] = pointer(tr["refresh_token"])
        refresh: dict = {}
        if p.get("refresh_url"):
            refresh["url"] = self.url(p["refresh_url"], "auth.refresh.url")
        if p.get("refresh_token_params"):
            refresh["params"] = self.params(p["refresh_token_params"], "auth.refresh.params", None, protocol=False)
        if p.get("refresh_token_headers"):
            headers = {k.lower(): v for k, v in p["refresh_token_headers"].items()}
            headers.pop("content-type", None)  # the encoding sets it
            refresh["headers"] = {k: self.template(v, "auth.refresh.headers") for k, v in headers.items()}
        a["refresh"] = refresh

    def basic_parts(self, header: str) -> dict | None:
        """`Scheme ${base64(a:b)}` (a Basic pair under any scheme name, or none) as a `basic`
        table: the username is what precedes the first `:` outside `${...}`, the password
        the rest (`base64(a:b:c)` is `a` and `b:c`: the same bytes)."""
        m = re.fullmatch(r"(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+) )?\$\{base64\((.*)\)\}", header.strip(), re.S)
        if not m:
            return None
        inner, depth, split = m.group(2), 0, None
        for i, c in enumerate(inner):
            depth += c == "{"
            depth -= c == "}"
            if c == ":" and depth == 0:
                split = i
                break
        if split is None:
            return None
        out = {
            "username": self.template(inner[:split], "basic"),
            "password": self.template(inner[split + 1 :], "basic"),
        }
        scheme = m.group(1) or ""
        if scheme != "Basic":
            out["scheme"] = scheme
        return out

    def params(self, params, where: str, grant: str | None, protocol: bool = True) -> dict:
        out = {}
        for k, v in (params or {}).items():
            if isinstance(v, (dict, list)):
                raise NoManifest(f"a structured parameter `{k}` in {where}")
            v = json.dumps(v) if isinstance(v, bool) else str(v)  # YAML `true`, sent as `true`
            if protocol and k == "grant_type":
                if where == "auth.authorization_params":
                    # The authorization request has no grant_type of its own (RFC 6749
                    # §4.1.1): the manifest sends the provider's.
                    out[k] = self.template(v, where)
                    continue
                if grant and v == grant:
                    continue  # what the flow sends anyway
                raise NoManifest(f"the `{v}` grant")
            if protocol and k == "response_type":
                if v == "code":
                    continue
                if where == "auth.authorization_params" and re.fullmatch(r"[A-Za-z0-9_-]+", v):
                    if v in ("token", "id_token"):
                        raise NoManifest(f"response_type `{v}` (tokens returned to the browser)")
                    self.response_type = v  # the provider's name for the code: `response_type`
                    continue
                raise NoManifest(f"response_type `{v}`")
            if protocol and k in ("client_id", "client_secret", "redirect_uri", "state"):
                if "clientId" in v or "client_id" in v or "redirect" in v:
                    continue  # the flow's own value
                self.lose(f"the flow's own {k} parameter set to another value")
                continue
            if protocol and k == "scope" and self.p.get("default_scopes") and where != "auth.refresh_params":
                # Sent beside the flow's own `scope` (from `scopes`): twice. Without scopes the
                # flow sends none, and a refresh never does, so the parameter is the only one.
                self.lose("a scope parameter in token or authorization parameters")
                continue
            if where == "auth.authorization_params" and v.strip() == "${random}":
                self.nonce_param = k  # a fresh random value per authorization
                continue
            out[k] = self.param_value(v, where)
        return out

    def param_value(self, v: str, where: str):
        """A parameter: a template, or `a || b` as alternatives (the first with values is
        sent). One that refers to an optional input is left out without a value, as Nango's
        unresolved value is never a usable one."""
        if "||" not in v:
            return self.template(v, where)
        return self.alternatives(v, where, False)

    def api(self, proxy: dict) -> dict:
        base = str(proxy["base_url"]).rstrip("/") or "/"
        base = self.callback_or_input(base, "api.base_url")
        api: dict = {"base_url": self.base_url_alternatives(base) or self.url(base, "api.base_url")}
        ver = proxy.get("verification") or {}
        endpoints = ver.get("endpoints") or ([ver["endpoint"]] if ver.get("endpoint") else [])
        if endpoints and (ver.get("method") or "GET").upper() == "GET":
            api["test_endpoint"] = "/" + str(endpoints[0]).lstrip("/").split("?")[0].replace("${", "{")
            if "{" in api["test_endpoint"]:
                api["test_endpoint"] = "/"
                self.notes.append("test endpoint uses a template")
        else:
            api["test_endpoint"] = "/"
            self.notes.append("no GET verification endpoint in the catalogue: test_endpoint = \"/\"")
        secret_headers, fixed_headers = {}, {}
        for k, v in (proxy.get("headers") or {}).items():
            v = json.dumps(v) if isinstance(v, bool) else str(v)  # YAML `true`, sent as `true`
            if self.is_credential(v):
                secret_headers[k] = v
            else:
                fixed_headers[k] = v
        query = {k: str(v) for k, v in (proxy.get("query") or {}).items()}
        api["authorization"] = self.authorization(secret_headers, query, proxy.get("body") or {})
        headers = {}
        for k, v in fixed_headers.items():
            alts = self.alternatives(v, f"api.headers.{k}", False)
            if any(self.optional_ref(a) for a in alts):
                headers[k] = alts
            else:
                headers[k] = alts if len(alts) > 1 else alts[0]
        if headers:
            api["headers"] = headers
        return api

    def optional_ref(self, tpl: str) -> bool:
        return any(
            not i.get("required", True) and "default" not in i and "{input.%s}" % k in tpl
            for k, i in self.inputs.items()
        )

    def is_credential(self, v: str) -> bool:
        return any(
            s in v for s in ("${apiKey}", "${credentials.", "${accessToken}", "${token}", "${base64(", "${clientSecret}")
        )

    def authorization(self, headers: dict, query: dict, body: dict) -> dict:
        """`api.authorization`: the placement the headers (or the mode's default) make, with
        the query parameters (`params`) and body members (`body`) beside it."""
        token_mode = self.mode in ("OAUTH2", "OAUTH2_CC", "TWO_STEP", "MCP_OAUTH2")
        uses_token = any(re.search(r"\$\{(accessToken|token)\}", v) for v in [*headers.values(), *query.values()])
        if token_mode and not uses_token and not any(k.lower() == "authorization" for k in headers):
            # The token also goes as a bearer header, beside the catalogue's own placements.
            headers = {"Authorization": "Bearer ${accessToken}", **headers}
        a = self.header_placement(headers) if headers else self.default_placement(query or body)
        if query:
            params = {k: self.template(v, f"api.authorization.params.{k}") for k, v in query.items()}
            a = {"type": "query", "params": params} if a["type"] == "none" else {**a, "params": params}
        if body:
            members = self.body_members(body, "api.authorization.body")
            a = {"type": "body", "body": members} if a["type"] == "none" else {**a, "body": members}
        return a

    def header_placement(self, headers: dict) -> dict:
        if len(headers) == 1:
            (name, value), = headers.items()
            basic = self.basic_parts(value)
            if basic and name.lower() != "authorization":
                return {"type": "basic", "header": name, **basic}
            if basic:
                return {"type": "basic", **basic}
            if name.lower() == "authorization" and re.fullmatch(
                r"Bearer \$\{(apiKey|accessToken|credentials\.[A-Za-z0-9_]+)\}", value
            ):
                return {"type": "bearer", "token": self.template(value[len("Bearer ") :], "api.authorization")}
        return {
            "type": "headers",
            "headers": {k: self.template(v, f"api.authorization.headers.{k}") for k, v in headers.items()},
        }

    def default_placement(self, elsewhere: bool) -> dict:
        """Without credential headers: the mode's own header (Nango's), or `none` when the query
        or body carries the credential."""
        mode = self.mode
        if mode == "BASIC":
            user = self.credential_input("username", "Username", secret=False)
            pw = self.credential_input("password", "Password", secret=True)
            spec = self.credentials.get("password") or {}
            if spec.get("hidden") and "default_value" in spec:
                del self.inputs[pw]
                return {"type": "basic", "username": "{input.%s}" % user, "password": escape_literal(str(spec["default_value"]))}
            return {"type": "basic", "username": "{input.%s}" % user, "password": "{input.%s}" % pw}
        if mode == "NONE" or elsewhere:
            return {"type": "none"}
        if mode == "API_KEY":
            proxy = self.p.get("proxy") or {}
            if "${apiKey}" in str(proxy.get("base_url")):
                raise NoManifest("the API key in the URL's path (a secret in a URL)")
            raise NoManifest("the catalogue does not say where the API key goes")
        return {"type": "bearer", "token": "{credential.access_token}"}

    def body_members(self, body: dict, where: str) -> dict:
        """`proxy.body`: string leaves as templates, maps as nested tables."""
        out = {}
        for k, v in body.items():
            if isinstance(v, dict):
                out[k] = self.body_members(v, f"{where}.{k}")
            elif isinstance(v, str):
                out[k] = self.template(v, f"{where}.{k}")
            else:
                raise NoManifest(f"a {type(v).__name__} member `{k}` in {where}")
        return out


def with_fragment(url: str, fragment: str) -> str:
    """The authorization URL routed by `fragment`, as Nango builds it: `new URL(url)` (whose
    text ends an empty path with `/`), `#`, the fragment; the query goes after it."""
    if "#" in url:
        raise NoManifest("an authorization URL with a fragment of its own and another")
    rest = url.split("://", 1)[1] if "://" in url else url
    if "/" not in rest:
        url += "/"
    return f"{url}#{fragment}"


def ident(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    return s if s[:1].isalpha() else "v_" + s


def looks_secret(name: str) -> bool:
    return bool(re.search(r"secret|password|key|token", name, re.I))


def base_input(key: str, spec: dict, label: str | None = None) -> dict:
    field = {"key": key, "label": str(spec.get("title") or label or key)}
    if spec.get("optional"):
        field["required"] = False
    if spec.get("default_value") not in (None, ""):
        field["default"] = str(spec["default_value"])
    pattern = spec.get("pattern")
    if pattern:
        pattern = str(pattern)
        if re.search(r"\(\?[=!<]|\\[1-9]", pattern):
            pass  # look-around and back-references: the catalogue's entry check is kept out
        elif alternatives(pattern):
            # `^(a|b)$` admits exactly these values: a select says the same, and lists them.
            field["kind"] = "select"
            field["options"] = alternatives(pattern)
        else:
            field["pattern"] = pattern.removeprefix("^").removesuffix("$")
    if spec.get("description"):
        field["help"] = str(spec["description"])
    return field


def alternatives(pattern: str) -> list[str] | None:
    """The values of a pattern that is an alternation of plain words (`^(a\\.b|c)$`)."""
    m = re.fullmatch(r"\^\(?((?:[A-Za-z0-9_-]|\\\.)+(?:\|(?:[A-Za-z0-9_-]|\\\.)+)*)\)?\$", pattern)
    if not m or "|" not in m.group(1):
        return None
    return [a.replace("\\.", ".") for a in m.group(1).split("|")]


def pointer(path: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in str(path).split("."))


def escape_literal(s: str) -> str:
    return s.replace("{", "{{").replace("}", "}}")


def matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise NoManifest(f"an unbalanced template `{text}`")


# --- TOML ----------------------------------------------------------------------------------


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(m: dict) -> str:
    lines = []
    for k in ("name", "slug", "description", "icon", "color"):
        lines.append(f"{k} = {toml_value(m[k])}")
    for table in ("auth",):
        lines.append(f"\n[{table}]")
        sub = []
        for k, v in m[table].items():
            if isinstance(v, dict):
                if v:
                    sub.append((k, v))
            else:
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in sub:
            lines.append(f"\n[{table}.{k}]")
            lines.extend(f"{toml_key(a)} = {toml_value(b)}" for a, b in v.items())
    for i in m["inputs"]:
        lines.append("\n[[inputs]]")
        lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in i.items())
    lines.append("\n[api]")
    headers = m["api"].get("headers")
    for k, v in m["api"].items():
        if k != "headers":
            lines.append(f"{k} = {toml_value(v)}")
    if headers:
        lines.append("\n[api.headers]")
        lines.extend(f"{toml_key(a)} = {toml_value(b)}" for a, b in headers.items())
    return "\n".join(lines) + "\n"


# --- catalogue, validation, report -----------------------------------------------------------


def fetch() -> Path:
    target = CACHE / "providers.yaml"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tgz,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            member = tar.getmember("package/providers.yaml")
            target.write_bytes(tar.extractfile(member).read())
    return target


def resolve_aliases(catalogue: dict) -> dict:
    out = {}
    for key, p in catalogue.items():
        if "alias" in p and p["alias"] in catalogue:
            merged = dict(catalogue[p["alias"]])
            merged.update({k: v for k, v in p.items() if k != "alias"})
            out[key] = merged
        else:
            out[key] = p
    return out


def validate(dirs: list[Path]) -> dict[str, list[str]]:
    """Problems per manifest folder name (empty when it validates)."""
    env = dict(os.environ)
    subprocess.run(
        ["cargo", "build", "-q", "--locked", "-p", "paragon-codegen"], cwd=ROOT, check=True, env=env
    )
    target = Path(env.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "paragon-codegen"
    result = {d.name: [] for d in dirs}
    proc = subprocess.run(
        [str(binary), "validate", *map(str, dirs)], cwd=ROOT, capture_output=True, text=True
    )
    current = None
    for line in proc.stderr.splitlines():
        m = re.match(r"^error: (.*)", line)
        if m and not re.match(r"\d+ problems found", m.group(1)):
            current = m.group(1)
            continue
        m = re.search(r"manifest-coverage/([^/]+)/integration\.toml", line)
        if m and current:
            result[m.group(1)].append(current)
            current = None
    ok = {m.group(1) for m in re.finditer(r"^ok: .*manifest-coverage/([^/ ]+)", proc.stdout, re.M)}
    for name in result:
        if name not in ok and not result[name]:
            result[name].append("not reported valid")
    return result


def run() -> list[dict]:
    catalogue = resolve_aliases(yaml.safe_load(fetch().read_text()))
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    rows, dirs = [], []
    for key, p in sorted(catalogue.items()):
        c = Conversion(key, p)
        row = {"provider": key, "mode": p.get("auth_mode") or "-"}
        try:
            m = c.build()
        except NoManifest as e:
            row.update(status="none", reasons=[str(e)])
            rows.append(row)
            continue
        d = OUT / ident(key)
        d.mkdir()
        (d / "integration.toml").write_text(to_toml(m))
        (d / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
        row.update(status="lossy" if c.losses else "exact", reasons=c.losses, dir=d.name, notes=c.notes)
        rows.append(row)
        dirs.append(d)
    problems = validate(dirs)
    for row in rows:
        if row.get("dir") and problems[row["dir"]]:
            row.update(status="none", reasons=["refused by the validator: " + p for p in problems[row["dir"]]])
    return rows


def general(reason: str) -> str:
    """The capability behind a reason, without the provider's own field names."""
    reason = re.sub(r"`[^`]*`", "…", reason)
    reason = re.sub(r" in (auth|api)\.[a-z_.A-Z0-9-]+", "", reason)
    reason = re.sub(r"\{[a-z]+\.[A-Za-z0-9_]+\}", "…", reason)
    return reason


def report(rows: list[dict], markdown: bool) -> str:
    total = len(rows)
    counts = collections.Counter(r["status"] for r in rows)
    out = []
    pct = lambda n: f"{100 * n / total:.1f}%"
    if markdown:
        out.append(f"| Class | Providers | Share |\n|---|---:|---:|")
        for s in ("exact", "lossy", "none"):
            out.append(f"| {s} | {counts[s]} | {pct(counts[s])} |")
        out.append(f"| total | {total} | 100% |")
    else:
        out.append(f"{total} providers: " + ", ".join(f"{s} {counts[s]} ({pct(counts[s])})" for s in ("exact", "lossy", "none")))
    for s in ("lossy", "none"):
        ranked = collections.Counter(
            x for r in rows if r["status"] == s for x in {general(y) for y in r["reasons"]}
        )
        if markdown:
            out.append(f"\n**{s}**: reasons, by providers affected\n\n| Reason | Providers |\n|---|---:|")
            out.extend(f"| {why} | {n} |" for why, n in ranked.most_common())
        else:
            out.append(f"\n{s}:")
            out.extend(f"  {n:4}  {why}" for why, n in ranked.most_common())
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    ap.add_argument("--show", metavar="PROVIDER", help="print one provider's manifest and class")
    ap.add_argument("--list", metavar="CLASS", help="list the providers of a class with reasons")
    args = ap.parse_args()
    saved = OUT / "classes.json"
    if (args.show or args.list) and saved.exists():
        rows = json.loads(saved.read_text())  # the last run's classes: validating takes minutes
    else:
        rows = run()
        saved.write_text(json.dumps(rows, indent=1))
    if args.show:
        row = next((r for r in rows if r["provider"] == args.show), None)
        if row is None:
            sys.exit(f"error: no provider `{args.show}` in the catalogue (see --list exact)")
        print(json.dumps(row, indent=2))
        if row.get("dir"):
            print((OUT / row["dir"] / "integration.toml").read_text())
        return
    if args.list:
        for r in rows:
            if r["status"] == args.list:
                print(f"{r['provider']:40} {r['mode']:12} {'; '.join(r['reasons'])}")
        return
    print(report(rows, args.markdown))


if __name__ == "__main__":
    sys.exit(main())
