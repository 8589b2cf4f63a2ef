// Calls AnalyzeDenseLandmarks with the official Node.js SDK, pointed at a loopback server as
// the README says; prints one JSON line: the answer's summary or the SDK's error.
// Usage: node analyze.js <sdk root> <endpoint host:port> <version> <secretId> <secretKey> <image file>
"use strict";
const fs = require("fs");
const path = require("path");
const [sdkRoot, endpoint, version, secretId, secretKey, imageFile] = process.argv.slice(2);
const services = path.join(sdkRoot, "node_modules", "tencentcloud-sdk-nodejs", "tencentcloud", "services", "iai");
const { iai } = require(services);
const Client = iai[version.replace(/-/g, "").replace(/^/, "v")].Client;
const client = new Client({
  credential: { secretId, secretKey },
  region: "ap-guangzhou",
  profile: { httpProfile: { endpoint, protocol: "http://" } },
});
const image = fs.readFileSync(imageFile).toString("base64");
client
  .AnalyzeDenseLandmarks({ Image: image, Mode: 1 })
  .then((answer) => {
    const shapes = answer.DenseFaceShapeSet || [];
    console.log(JSON.stringify({ ok: true, width: answer.ImageWidth, faces: shapes.length, requestId: answer.RequestId }));
  })
  .catch((error) => {
    console.log(JSON.stringify({ ok: false, code: error.code || null, message: error.message, requestId: error.requestId || null }));
  });
