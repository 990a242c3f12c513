module.exports = {
  displayName: 'geo',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/geo',
};
