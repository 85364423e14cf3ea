"""The PayPal REST API through the official `paypal-server-sdk`, reduced to the calls the method
makes, each answering plain JSON (dicts) or raising one of two errors:

- `PayPalRefused`: PayPal answered 4xx — it refused, and (except for 401) nothing happened;
- `PayPalUnknown`: 5xx, a timeout, a dropped connection — the call may or may not have taken
  effect (M3). The text of both is safe to show: built from PayPal's error name/issue, never
  from a request, and scrubbed of the client secret.

The SDK is pointed at a base URL by subclassing its `Configuration` (get_base_uri), so every
client has its own URL and credentials: several desks may live in one process.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
from types import SimpleNamespace
from typing import Any, Callable

from .settings import PayPalSettings

log = logging.getLogger("smartpay.plugins.paypal")


class PayPalRefused(Exception):
    """PayPal answered with a 4xx error."""

    def __init__(self, http_status: int, name: str, issue: str | None, description: str,
                 links: list[dict] | None = None):
        super().__init__(f"{name}{f' ({issue})' if issue else ''}: {description}".strip())
        self.http_status, self.name, self.issue, self.description = http_status, name, issue, description
        self.links = links or []


class PayPalUnknown(Exception):
    """No usable answer: the call may have taken effect."""


@functools.cache
def _sdk() -> SimpleNamespace:
    """The SDK, imported on first use: the core imports every plugin without loading any
    payment SDK until a gateway is really called (tests/test_core_headless.py)."""
    import requests
    from apimatic_core.authentication.multiple.single_auth import Single
    from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
    from apimatic_core.request_builder import RequestBuilder
    from apimatic_core.response_handler import ResponseHandler
    from apimatic_core.types.parameter import Parameter
    from paypalserversdk.api_helper import APIHelper
    from paypalserversdk.configuration import Configuration, Server
    from paypalserversdk.controllers.base_controller import BaseController
    from paypalserversdk.exceptions.api_exception import ApiException
    from paypalserversdk.exceptions.error_exception import ErrorException
    from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
    from paypalserversdk.http.http_method_enum import HttpMethodEnum
    from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

    class FixedBaseUrlConfiguration(Configuration):
        """The SDK configuration with one fixed base URL (the emulator, sandbox or live)."""

        def __init__(self, base_url: str, **kwargs):
            self._base_url = base_url.rstrip("/")
            super().__init__(**kwargs)

        def get_base_uri(self, server=Server.DEFAULT):
            return self._base_url

    class WebhooksController(BaseController):
        """POST /v1/notifications/verify-webhook-signature, which the SDK does not wrap, through
        the SDK's own call pipeline: same base URL, same OAuth2 token, same HTTP client."""

        def verify_signature(self, body_json: str):
            return super().new_api_call_builder.request(
                RequestBuilder().server(Server.DEFAULT)
                .path("/v1/notifications/verify-webhook-signature")
                .http_method(HttpMethodEnum.POST)
                .header_param(Parameter().key("Content-Type").value("application/json"))
                .body_param(Parameter().value(body_json))     # a string passes through unchanged
                .header_param(Parameter().key("accept").value("application/json"))
                .body_serializer(APIHelper.json_serialize)
                .auth(Single("Oauth2")),
            ).response(
                ResponseHandler()
                .deserializer(APIHelper.json_deserialize)
                .is_api_response(True)
                .local_error("default", "The error response.", ErrorException),
            ).execute()

    return SimpleNamespace(Client=PaypalServersdkClient, Configuration=FixedBaseUrlConfiguration,
                           Credentials=ClientCredentialsAuthCredentials, Webhooks=WebhooksController,
                           ApiException=ApiException, AuthValidationException=AuthValidationException,
                           Timeout=requests.Timeout, RequestException=requests.RequestException)


class PayPalGateway:
    def __init__(self, settings: PayPalSettings):
        self._settings = settings
        self._lock = threading.Lock()
        self._client = None

    def __repr__(self) -> str:
        return f"PayPalGateway(base_url={self._settings.base_url!r})"

    def _sdk_client(self):
        with self._lock:
            if self._client is None:
                s, sdk = self._settings, _sdk()
                config = sdk.Configuration(
                    s.base_url, timeout=s.timeout_seconds, max_retries=0,
                    client_credentials_auth_credentials=sdk.Credentials(
                        o_auth_client_id=s.client_id, o_auth_client_secret=s.client_secret))
                self._client = sdk.Client(config=config)
            return self._client

    def _forget_token(self) -> None:
        with self._lock:
            self._client = None

    # -- the calls ---------------------------------------------------------------------------------
    def create_order(self, body, request_id: str) -> dict:
        return self._call("create order", lambda c: c.orders.create_order(
            {"body": body, "paypal_request_id": request_id, "prefer": "return=representation"}))

    def get_order(self, order_id: str) -> dict:
        return self._call("get order", lambda c: c.orders.get_order({"id": order_id}))

    def capture_order(self, order_id: str, request_id: str) -> dict:
        return self._call("capture order", lambda c: c.orders.capture_order(
            {"id": order_id, "paypal_request_id": request_id, "prefer": "return=representation"}))

    def get_capture(self, capture_id: str) -> dict:
        return self._call("get capture", lambda c: c.payments.get_captured_payment({"capture_id": capture_id}))

    def refund_capture(self, capture_id: str, body, request_id: str) -> dict:
        return self._call("refund capture", lambda c: c.payments.refund_captured_payment(
            {"capture_id": capture_id, "body": body, "paypal_request_id": request_id,
             "prefer": "return=representation"}))

    def get_refund(self, refund_id: str) -> dict:
        return self._call("get refund", lambda c: c.payments.get_refund({"refund_id": refund_id}))

    def verify_webhook_signature(self, body_json: str) -> dict:
        return self._call("verify webhook signature",
                          lambda c: _sdk().Webhooks(c.global_configuration).verify_signature(body_json))

    # -- errors --------------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[Any], Any], retried: bool = False) -> dict:
        scrub, sdk = self._settings.scrub, _sdk()
        try:
            response = call(self._sdk_client())
        except sdk.ApiException as exc:
            status = getattr(exc, "response_code", None) or 0
            refused = _refusal(exc, status, scrub)
            if status == 401 and not retried:
                # An expired or revoked token: the SDK only refreshes on expiry, so start afresh.
                self._forget_token()
                return self._call(what, call, retried=True)
            if 400 <= status < 500:
                log.warning("PayPal refused %s: %s", what, refused)
                raise refused from None
            log.warning("PayPal %s: HTTP %s, outcome unknown", what, status)
            raise PayPalUnknown(f"PayPal answered HTTP {status} to {what}: {refused}") from None
        except sdk.AuthValidationException:
            log.warning("PayPal %s: no access token (credentials refused or token endpoint failed)", what)
            raise PayPalRefused(401, "AUTHENTICATION_FAILURE", None,
                                "PayPal did not issue an access token; check PAYPAL_CLIENT_ID and "
                                "PAYPAL_CLIENT_SECRET (or plugins.paypal_pay)") from None
        except sdk.Timeout:
            log.warning("PayPal %s: no answer within %ss", what, self._settings.timeout_seconds)
            raise PayPalUnknown(f"PayPal did not answer {what} within {self._settings.timeout_seconds:g}s") from None
        except sdk.RequestException as exc:
            log.warning("PayPal %s: connection failed (%s)", what, type(exc).__name__)
            raise PayPalUnknown(f"the connection to PayPal failed during {what} ({type(exc).__name__})") from None
        except Exception as exc:  # the SDK's own failures (bad JSON, …): outcome unknown, never raised on
            log.warning("PayPal %s failed: %s", what, type(exc).__name__)
            raise PayPalUnknown(f"PayPal {what} failed ({type(exc).__name__})") from None
        try:
            return json.loads(response.text or "{}")
        except ValueError:
            raise PayPalUnknown(f"PayPal answered {what} with something that is not JSON") from None


def _refusal(exc: Exception, status: int, scrub: Callable[[str], str]) -> PayPalRefused:
    try:
        body = json.loads(exc.response.text or "{}")
    except (ValueError, AttributeError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    details = body.get("details") or [{}]
    detail = details[0] if isinstance(details[0], dict) else {}
    name = str(body.get("name") or body.get("error") or f"HTTP_{status}")
    description = str(detail.get("description") or body.get("message") or body.get("error_description") or "")
    links = [link for link in body.get("links") or [] if isinstance(link, dict)]
    return PayPalRefused(status, scrub(name), scrub(str(detail.get("issue") or "")) or None, scrub(description), links)
