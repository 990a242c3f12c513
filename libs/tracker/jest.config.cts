module.exports = {
  displayName: 'tracker',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/tracker',
};
