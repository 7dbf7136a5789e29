// medbill HIS client example, JDK only (java.net.http.HttpClient, MessageDigest, Base64): connects,
// issues an outpatient e-bill and writes it off (red-flush), over the Bosssoft v3.2.0 JSON envelope.
//
//   java Client.java [baseUrl] [appid] [key]
//   (defaults: MEDBILL_URL or http://127.0.0.1:17001, MEDBILL_APPID or MEDBILL-DEMO, MEDBILL_KEY or the demo key)
//
// Prints one line per call: "<serviceId> <result> <message>". Exit 0 when every call answered S0000.
// A real HIS uses a JSON library; this example reads the few answer fields with a regular expression so
// that it needs nothing but the JDK (Java 17+; one file, run directly).
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Client {
    static String baseUrl, appid, key;
    static final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        baseUrl = arg(args, 0, "MEDBILL_URL", "http://127.0.0.1:17001").replaceAll("/+$", "");
        appid = arg(args, 1, "MEDBILL_APPID", "MEDBILL-DEMO");
        key = arg(args, 2, "MEDBILL_KEY", "demo-key-0123456789abcdef");
        boolean ok = true;

        ok &= call("testServerConnect", "{\"testValue\":\"java-client\"}") != null;

        // One outpatient settlement: 25.00 paid in cash for one consultation. Money is sent as text:
        // never pass amounts through a double.
        String busNo = "JAVA" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS"));
        String bill = "{\"busNo\":\"" + busNo + "\",\"busType\":\"02\",\"payer\":\"张三\",\"busDateTime\":\"" + now + "\","
            + "\"placeCode\":\"MZSF01\",\"payee\":\"李收费\",\"author\":\"李收费\",\"totalAmt\":\"25.00\",\"payerType\":\"1\","
            + "\"cardType\":\"1102\",\"cardNo\":\"A12345678\",\"patientNo\":\"MZ000987654\",\"sex\":\"男\",\"age\":\"36岁\","
            + "\"accountPay\":\"0.00\",\"fundPay\":\"0.00\",\"otherfundPay\":\"0.00\",\"ownPay\":\"0.00\",\"selfConceitedAmt\":\"0.00\","
            + "\"selfPayAmt\":\"0.00\",\"selfCashPay\":\"25.00\","
            + "\"payChannelDetail\":[{\"payChannelCode\":\"05\",\"payChannelValue\":\"25.00\"}],"
            + "\"chargeDetail\":[{\"sortNo\":1,\"chargeCode\":\"02\",\"chargeName\":\"诊察费\",\"unit\":\"次\",\"std\":\"25.00\",\"number\":\"1\",\"amt\":\"25.00\",\"selfAmt\":\"0.00\"}],"
            + "\"listDetail\":[{\"listDetailNo\":\"1\",\"chargeCode\":\"02\",\"chargeName\":\"诊察费\",\"code\":\"110200001\",\"name\":\"副主任医师诊查费\","
            + "\"unit\":\"次\",\"std\":\"25.00\",\"number\":\"1\",\"amt\":\"25.00\",\"selfAmt\":\"0.00\",\"medicalCareType\":\"1\"}]}";
        String issued = call("invoiceEBillOutpatient", bill);
        if (issued == null) System.exit(1);

        String writeOff = "{\"billBatchCode\":\"" + field(issued, "billBatchCode") + "\",\"billNo\":\"" + field(issued, "billNo")
            + "\",\"reason\":\"患者退费\",\"operator\":\"李收费\",\"busDateTime\":\""
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS")) + "\",\"placeCode\":\"MZSF01\"}";
        ok &= call("writeOffEBill", writeOff) != null;
        System.exit(ok ? 0 : 1);
    }

    /** Posts one signed envelope; prints the answer; returns the decoded message on S0000, else null. */
    static String call(String serviceId, String businessJson) throws Exception {
        String data = Base64.getEncoder().encodeToString(businessJson.getBytes(StandardCharsets.UTF_8));
        String noise = UUID.randomUUID().toString();
        String body = "{\"appid\":\"" + appid + "\",\"data\":\"" + data + "\",\"noise\":\"" + noise
            + "\",\"version\":\"1.0\",\"sign\":\"" + sign(appid, data, noise) + "\"}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/medical-web/api/medical/" + serviceId))
            .header("Content-Type", "application/json; charset=utf-8")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
        String answer = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        String rData = field(answer, "data"), rNoise = field(answer, "noise");
        // The answer is signed with our key too: check it before trusting anything in it.
        if (!sign(appid, rData, rNoise).equals(field(answer, "sign"))) throw new IllegalStateException("answer signature does not verify");
        String inner = new String(Base64.getDecoder().decode(rData), StandardCharsets.UTF_8);
        String result = field(inner, "result");
        String message = new String(Base64.getDecoder().decode(field(inner, "message")), StandardCharsets.UTF_8);
        System.out.println(serviceId + " " + result + " " + message);
        return "S0000".equals(result) ? message : null;
    }

    /** MD5("appid=…&data=…&noise=…&key=…&version=1.0") as upper-case hex. */
    static String sign(String appid, String data, String noise) throws Exception {
        String text = "appid=" + appid + "&data=" + data + "&noise=" + noise + "&key=" + key + "&version=1.0";
        byte[] md5 = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().withUpperCase().formatHex(md5);
    }

    /** A top-level string field of a flat JSON object (Base64 and our codes never hold quotes). */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return m.group(1);
    }

    static String arg(String[] args, int i, String env, String dflt) {
        if (args.length > i) return args[i];
        String v = System.getenv(env);
        return v != null && !v.isEmpty() ? v : dflt;
    }
}
