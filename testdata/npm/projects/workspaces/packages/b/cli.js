#!/usr/bin/env node
console.log(require(".")(1))
