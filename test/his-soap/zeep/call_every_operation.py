#!/usr/bin/python3
"""Calls every operation of the served EBillService WSDL through zeep (Debian's python3-zeep), a strict
independent SOAP client, over both ports (SOAP 1.1 and SOAP 1.2).

  call_every_operation.py WSDL_URL CALLS_JSON [ADDRESS]

ADDRESS overrides the WSDL's soap:address (a test server listens on a port of its own).

CALLS_JSON: {"appid": ..., "key": ..., "data": {"<port> <operation>": {business request}, ...}}; an operation
without data is called with an empty request. Envelope operations get a signed Bosssoft envelope;
typed operations (<serviceId>Typed) get the business fields as XML and a WS-Security UsernameToken with
PasswordDigest. Prints one JSON line per call: {"port", "op", "result", "message"} for an answer,
{"port", "op", "fault", "message"} for a SOAP fault, {"port", "op", "error"} for anything else (a crash:
the client could not build the request or read the answer). Exit 0 when every call was made.
"""
import base64
import hashlib
import json
import sys
import uuid

from zeep import Client, Settings
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken


def envelope(appid, key, business):
    data = base64.b64encode(json.dumps(business, ensure_ascii=False).encode("utf-8")).decode("ascii")
    noise = uuid.uuid4().hex
    sign = hashlib.md5(f"appid={appid}&data={data}&noise={noise}&key={key}&version=1.0".encode("utf-8")).hexdigest().upper()
    return {"appid": appid, "data": data, "noise": noise, "version": "1.0", "sign": sign}


def decode_answer(answer):
    inner = json.loads(base64.b64decode(answer["data"]).decode("utf-8"))
    text = base64.b64decode(inner["message"]).decode("utf-8")
    try:
        message = json.loads(text)
    except ValueError:
        message = text
    return inner["result"], message


def main():
    wsdl_url, calls_file = sys.argv[1], sys.argv[2]
    address = sys.argv[3] if len(sys.argv) > 3 else None
    with open(calls_file, encoding="utf-8") as f:
        calls = json.load(f)
    appid, key, data = calls["appid"], calls["key"], calls.get("data", {})
    settings = Settings(strict=True, xml_huge_tree=False)
    plain = Client(wsdl_url, settings=settings)
    secured = Client(wsdl_url, settings=settings, wsse=UsernameToken(appid, key, use_digest=True))
    service = plain.wsdl.services["EBillService"]
    for port_name in sorted(service.ports):
        operations = sorted(service.ports[port_name].binding._operations)
        for op in operations:
            typed = op.endswith("Typed")
            client = secured if typed else plain
            port = service.ports[port_name]
            proxy = client.create_service(port.binding.name, address) if address else client.bind("EBillService", port_name)
            line = {"port": port_name, "op": op}
            request = data.get(f"{port_name} {op}", {})
            try:
                if typed:
                    answer = getattr(proxy, op)(request=request)
                    line["result"], line["message"] = answer["result"], answer["message"]
                else:
                    answer = getattr(proxy, op)(**envelope(appid, key, request))
                    line["result"], line["message"] = decode_answer(answer)
            except Fault as e:
                line["fault"], line["message"] = str(e.code), e.message
            except Exception as e:  # a crash of the client: reported, and the run goes on
                line["error"] = f"{type(e).__name__}: {e}"[:500]
            print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
