#!/usr/bin/env node
console.log("app")
