#!/usr/bin/env python3
"""medbill HIS client example, Python standard library only: connects, issues an outpatient e-bill and
writes it off (red-flush), over the Bosssoft v3.2.0 JSON envelope.

  python3 client.py [baseUrl] [appid] [key]
  (defaults: MEDBILL_URL or http://127.0.0.1:17001, MEDBILL_APPID or MEDBILL-DEMO, MEDBILL_KEY or the demo key)

Prints one line per call: "<serviceId> <result> <message>". Exit 0 when every call answered S0000.
Money is sent as text ("25.00"), never as a float.
"""
import base64
import hashlib
import json
import os
import sys
import urllib.request
import uuid
from datetime import datetime


def arg(i, env, default):
    if len(sys.argv) > i + 1:
        return sys.argv[i + 1]
    return os.environ.get(env) or default


BASE_URL = arg(0, "MEDBILL_URL", "http://127.0.0.1:17001").rstrip("/")
APPID = arg(1, "MEDBILL_APPID", "MEDBILL-DEMO")
KEY = arg(2, "MEDBILL_KEY", "demo-key-0123456789abcdef")


def sign(data, noise):
    """MD5("appid=…&data=…&noise=…&key=…&version=1.0") as upper-case hex."""
    text = f"appid={APPID}&data={data}&noise={noise}&key={KEY}&version=1.0"
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def now17():
    return datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]


def call(service_id, business):
    """Posts one signed envelope; prints the answer; returns the decoded message on S0000, else None."""
    data = base64.b64encode(json.dumps(business, ensure_ascii=False).encode("utf-8")).decode("ascii")
    noise = str(uuid.uuid4())
    body = json.dumps({"appid": APPID, "data": data, "noise": noise, "version": "1.0", "sign": sign(data, noise)}).encode("utf-8")
    req = urllib.request.Request(f"{BASE_URL}/medical-web/api/medical/{service_id}", data=body,
                                 headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as res:
        answer = json.loads(res.read().decode("utf-8"))
    # The answer is signed with our key too: check it before trusting anything in it.
    if sign(answer["data"], answer["noise"]) != answer["sign"]:
        raise RuntimeError("answer signature does not verify")
    inner = json.loads(base64.b64decode(answer["data"]).decode("utf-8"))
    message = base64.b64decode(inner["message"]).decode("utf-8")
    print(service_id, inner["result"], message, flush=True)
    if inner["result"] != "S0000":
        return None
    try:
        return json.loads(message)
    except ValueError:
        return message


def main():
    ok = call("testServerConnect", {"testValue": "python-client"}) is not None
    bill = {
        "busNo": "PY" + uuid.uuid4().hex[:20], "busType": "02", "payer": "张三", "busDateTime": now17(),
        "placeCode": "MZSF01", "payee": "李收费", "author": "李收费", "totalAmt": "25.00", "payerType": "1",
        "cardType": "1102", "cardNo": "A12345678", "patientNo": "MZ000987654", "sex": "男", "age": "36岁",
        "accountPay": "0.00", "fundPay": "0.00", "otherfundPay": "0.00", "ownPay": "0.00", "selfConceitedAmt": "0.00",
        "selfPayAmt": "0.00", "selfCashPay": "25.00",
        "payChannelDetail": [{"payChannelCode": "05", "payChannelValue": "25.00"}],
        "chargeDetail": [{"sortNo": 1, "chargeCode": "02", "chargeName": "诊察费", "unit": "次", "std": "25.00",
                          "number": "1", "amt": "25.00", "selfAmt": "0.00"}],
        "listDetail": [{"listDetailNo": "1", "chargeCode": "02", "chargeName": "诊察费", "code": "110200001",
                        "name": "副主任医师诊查费", "unit": "次", "std": "25.00", "number": "1", "amt": "25.00",
                        "selfAmt": "0.00", "medicalCareType": "1"}],
    }
    issued = call("invoiceEBillOutpatient", bill)
    if issued is None:
        sys.exit(1)
    red = call("writeOffEBill", {"billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"], "reason": "患者退费",
                                 "operator": "李收费", "busDateTime": now17(), "placeCode": "MZSF01"})
    sys.exit(0 if ok and red is not None else 1)


if __name__ == "__main__":
    main()
