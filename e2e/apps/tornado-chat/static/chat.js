var socket = new WebSocket("ws://" + location.host + "/chatsocket");
socket.onmessage = function (event) { console.log(JSON.parse(event.data)); };
