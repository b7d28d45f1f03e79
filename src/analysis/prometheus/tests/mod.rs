mod client;
mod request;
mod response;
