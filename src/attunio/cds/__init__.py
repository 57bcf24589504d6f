"""CDS Hooks 2.0 for EHRs: FHIR R4 in, cards and FHIR R4 resources out.

`codes` holds the LOINC maps, `fhir_in` decodes and maps FHIR resources to engine inputs, `hooks`
runs the engines for one hook call, `cards` and `fhir_out` build the answer. Those are pure. The
signed-JWT check (`jwt_auth`), the store (`registry`), the FHIR-server client (`fetch`) and the
HTTP handlers (`routes`) are the parts that touch the outside.
"""
