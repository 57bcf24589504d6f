"""One CDS Hooks call, from the decoded body to the encoded cards: prefetch completeness, fetching
what is missing, mapping, the engines, the cards, and the record feedback is counted against."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any, Literal

import msgspec

from attunio.cds import cards as card_lib
from attunio.cds import discovery, fhir_out, hooks
from attunio.cds.fetch import Fetcher, FetchError
from attunio.cds.fhir_in import Evidence, Mapper, entries
from attunio.cds.jwt_auth import EhrCaller, JwtVerifier
from attunio.cds.registry import CdsRegistry
from attunio.clock import Clock
from attunio.config import Settings
from attunio.engines.common import ModelRef
from attunio.errors import ApiError
from attunio.services.calibration.models import ModelRegistry
from attunio.store import Store

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class FhirAuthorization(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    subject: str


class HookRequest(msgspec.Struct, frozen=True, kw_only=True):
    hook: str
    hookInstance: str
    context: dict[str, Any]
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    prefetch: dict[str, Any] = msgspec.field(default_factory=dict)


class OverrideReason(msgspec.Struct, frozen=True, kw_only=True):
    reason: dict[str, Any] | None = None
    userComment: str | None = None  # read so it validates; never kept


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    card: str
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: OverrideReason | None = None


class FeedbackRequest(msgspec.Struct, frozen=True, kw_only=True):
    feedback: list[Feedback] = msgspec.field(default_factory=list)


def invalid(message: str) -> ApiError:
    return ApiError("invalid_request", message)


def decode(body: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: first
        raise invalid(f"The body is not a valid CDS Hooks request: {exc}.") from None
    except msgspec.DecodeError:
        raise invalid("The body is not valid JSON.") from None


class CdsService:
    def __init__(self, settings: Settings, store: Store, clock: Clock, models: ModelRegistry) -> None:
        cds = settings.cds
        self.base_url = cds.base_url.rstrip("/")
        self.clock = clock
        self.models = models
        self.registry = CdsRegistry(store, clock)
        self.fetcher = Fetcher(timeout=cds.fetch_timeout_seconds, max_bytes=cds.fetch_max_bytes,
                               allowed_bases=cds.fhir_servers)
        self.verifier = JwtVerifier(self.registry, leeway=cds.jwt_leeway_seconds,
                                    max_lifetime=cds.max_token_lifetime_seconds, fetch_jwks=self._jwks)

    async def _jwks(self, url: str) -> bytes:
        try:
            return await self.fetcher.get(url, {"Accept": "application/json"})
        except FetchError as exc:
            raise OSError(str(exc)) from None

    async def authenticate(self, path: str, authorization: str | None) -> EhrCaller:
        if not self.base_url:
            raise ApiError("service_unavailable", "CDS Hooks is not configured on this appliance: set "
                           "cds.base_url to the URL EHRs call it by.")
        audiences = [self.base_url + path]
        if path.endswith("/feedback"):  # the service's own URL is accepted for its feedback too
            audiences.append(self.base_url + path.removesuffix("/feedback"))
        return await self.verifier.verify(authorization, audiences)

    # --- a hook call --------------------------------------------------------------------------

    async def call(self, service_id: str, body: bytes) -> bytes:
        service = discovery.BY_ID[service_id]
        request: HookRequest = decode(body, HookRequest)
        if request.hook != service["hook"]:
            raise invalid(f"This service answers the `{service['hook']}` hook, not `{request.hook}`.")
        patient = request.context.get("patientId")
        if not isinstance(patient, str) or not FHIR_ID.match(patient):
            raise invalid("context.patientId must be a FHIR id ([A-Za-z0-9-.], 1–64 characters).")
        if request.fhirAuthorization is not None and not request.fhirServer:
            raise invalid("fhirAuthorization was sent without fhirServer.")
        if service_id == discovery.ORDER_SIGN and "draftOrders" not in request.context:
            raise invalid("context.draftOrders is required by the order-sign hook.")
        prefetch = await self.complete_prefetch(request, discovery.PREFETCH[service_id], patient)
        mapper = Mapper()
        for key, value in prefetch.items():
            if value is not None:
                mapper.read(f"prefetch.{key}", entries(value))
        now = self.clock.now()
        new_uuid = lambda: str(uuid.uuid4())  # noqa: E731
        encounter = request.context.get("encounterId")
        encounter = encounter if isinstance(encounter, str) else None
        if service_id == discovery.PATIENT_VIEW:
            view = hooks.patient_view(mapper.evidence, self.models.active, now)
            save = save_actions(view, mapper.evidence, patient, encounter)
            made = card_lib.patient_view_cards(mapper.evidence, view, new_uuid, save)
        else:
            mapper.read_orders("context.draftOrders", request.context["draftOrders"])
            checks, biomarker = hooks.order_sign(mapper.evidence, self.models.active, now)
            model, _ = self.models.active("biomarker_interpretation")
            made = card_lib.order_sign_cards(mapper.evidence, checks, biomarker, model, new_uuid)
        self.registry.record_cards(service_id, [(c.uuid, c.kind, *model_of(c)) for c in made],
                                   int(now.timestamp()))
        return msgspec.json.encode({"cards": made})

    async def complete_prefetch(self, request: HookRequest, templates: dict[str, str],
                                patient: str) -> dict[str, Any]:
        """The prefetch with every template satisfied, fetching what the EHR left out; `412` when
        some of it cannot be had (CDS Hooks 2.0, "Prefetch Template")."""
        prefetch = {key: request.prefetch[key] for key in templates if key in request.prefetch}
        missing = [key for key in templates if key not in prefetch]
        if not missing:
            return prefetch
        auth = request.fhirAuthorization
        if request.fhirServer is None or auth is None:
            raise ApiError("precondition_failed", f"Prefetch {', '.join(missing)} missing and the request has no "
                           "fhirServer and fhirAuthorization to fetch it with.")
        if not self.fetcher.allows(request.fhirServer):
            raise ApiError("precondition_failed", "Prefetch is missing and fhirServer is not on this appliance's "
                           "allow-list (cds.fhir_servers).")
        context = {"patientId": patient}
        answers = await asyncio.gather(
            *(self.fetcher.fhir(request.fhirServer, discovery.fill(templates[key], context), auth.access_token)
              for key in missing), return_exceptions=True)
        for key, answer in zip(missing, answers, strict=True):
            if isinstance(answer, FetchError):
                raise ApiError("precondition_failed", f"Prefetch {key} could not be fetched from fhirServer: {answer}.")
            if isinstance(answer, BaseException):
                raise answer
            try:
                prefetch[key] = json.loads(answer)
            except ValueError:
                raise ApiError("precondition_failed", f"Prefetch {key}: fhirServer did not answer JSON.") from None
        return prefetch

    # --- feedback -----------------------------------------------------------------------------

    def feedback(self, service_id: str, body: bytes) -> bytes:
        request: FeedbackRequest = decode(body, FeedbackRequest)
        if not request.feedback:
            raise invalid("`feedback` must list at least one card outcome.")
        items: list[tuple[str, str, str]] = [(f.card[:64], f.outcome, reason_code(f)) for f in request.feedback]
        counted, unknown = self.registry.count_feedback(service_id, items)
        return msgspec.json.encode({"counted": counted, "unknownCards": unknown})


def reason_code(item: Feedback) -> str:
    """One of our override reason codes, `other` for any other reason, `none` without one; the
    clinician's comment is never kept (it may name the patient)."""
    reason = item.overrideReason.reason if item.overrideReason else None
    if not reason:
        return "none"
    code = reason.get("code")
    if reason.get("system") == card_lib.OVERRIDES and code in card_lib.OVERRIDE_REASONS:
        return str(code)
    return "other"


def model_of(made: card_lib.Card) -> tuple[str, str]:
    model = (made.extension or {}).get("com.attuniohealth.model", {})
    version = model.get("version")
    return str(model.get("key")), "default" if version is None else str(version)


def save_actions(view: hooks.PatientView, evidence: Evidence, patient: str,
                 encounter: str | None) -> list[dict[str, Any]]:
    """`create` actions for the EHR to store our results as FHIR R4 resources when accepted."""
    actions: list[dict[str, Any]] = []
    if view.relapse is not None:
        actions.append({"type": "create", "description": "Store the relapse early warning as a RiskAssessment",
                        "resource": fhir_out.risk_assessment(view.relapse, patient, encounter,
                                                             evidence.scale_sources)})
    if view.outcome is not None:
        actions.append({"type": "create", "description": "Store the outcome score as an Observation",
                        "resource": fhir_out.outcome_observation(view.outcome, patient, encounter,
                                                                 evidence.scale_sources)})
    if view.biomarker is not None:
        actions += [{"type": "create", "description": "Store a laboratory finding as an Observation",
                     "resource": resource}
                    for resource in fhir_out.finding_observations(view.biomarker, patient, encounter)]
    return actions


__all__ = ["CdsService", "ModelRef"]
